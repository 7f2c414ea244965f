"""What every page handler shares: rendering, post/redirect/get, flash messages, and
turning form input and our errors into what a form shows next to its fields."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException

from humangov.domain.auth import Principal
from humangov.domain.errors import (
    DocumentTooLarge,
    HumanGovError,
    InvalidInput,
    NotFound,
    StaleVersion,
    UnsupportedDocument,
)
from humangov.domain.model import EDITABLE_FIELDS, Employee, validate_fields
from humangov.web.deps import optional_principal, render, require_csrf
from humangov.web.errors import STATUS, BadRequest

SMALL_FORM_BYTES = 64 * 1024
STALE = (
    "Someone else changed this record while you were editing it. "
    "Reload to see their changes, then edit again."
)
# What a form can show next to its fields; anything else becomes an error page.
FORM_ERRORS = (InvalidInput, UnsupportedDocument, DocumentTooLarge, StaleVersion)


class FieldErrors(InvalidInput):
    """Every problem of a form at once, {field: message}, so one round trip shows them all."""

    def __init__(self, errors: dict[str, str], status: int = 422) -> None:
        field, detail = next(iter(errors.items()))
        super().__init__(detail, field=field)
        self.errors, self.status = errors, status


# Each field's check by its name: it raises the error shown next to that field.
Checks = dict[str, Callable[[], object]]


def _failures(checks: Checks) -> dict[str, HumanGovError]:
    failures: dict[str, HumanGovError] = {}
    for name, check in checks.items():
        try:
            check()
        except (InvalidInput, NotFound) as exc:  # NotFound: an unknown state or employee
            failures[name] = exc
    return failures


def collect(checks: Checks) -> dict[str, str]:
    """{field: message} of every check that fails. The use cases stop at the first bad field;
    a person wants all of them in one answer, so each field is checked on its own first."""
    return {name: exc.detail for name, exc in _failures(checks).items()}


def check_fields(checks: Checks) -> None:
    """Raise FieldErrors naming every field that fails its check, before anything is written.
    Its status is the problems' own when they agree (404: only unknown things named)."""
    if failures := _failures(checks):
        statuses = {STATUS.get(type(exc), 400) for exc in failures.values()}
        raise FieldErrors({n: exc.detail for n, exc in failures.items()},
                          statuses.pop() if len(statuses) == 1 else 422)


def field_errors(values: dict[str, str], *, partial: bool) -> dict[str, str]:
    """Each employee field checked on its own: the domain stops at the first bad field."""
    missing = {} if partial else {n: f"{n} is required." for n in EDITABLE_FIELDS
                                  if n not in values}
    present = collect({n: functools.partial(validate_fields, {n: values[n]}, partial=True)
                       for n in EDITABLE_FIELDS if n in values})
    return {n: e for n in EDITABLE_FIELDS if (e := present.get(n) or missing.get(n))}


def bounded_text(value: str, what: str, max_len: int) -> None:
    """Text a person must give, of at most max_len characters once trimmed."""
    if not value.strip():
        raise InvalidInput(f"Enter {what}.")
    if len(value.strip()) > max_len:
        raise InvalidInput(f"Shorten {what} to at most {max_len} characters "
                           f"(it has {len(value.strip())}).")


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def flash(request: Request, message: str) -> None:
    # Shown once by base.html. The cookie is signed, not encrypted: never put personal data here.
    request.session["flash"] = message


def employee_url(e: Employee, suffix: str = "") -> str:
    return f"/states/{e.state}/employees/{e.id}{suffix}"


def form_error(exc: HumanGovError) -> tuple[int, dict[str, str]]:
    """HTTP status and {field: message} ('' for the form as a whole) of an error shown on a form."""
    if isinstance(exc, StaleVersion):
        return 409, {"": STALE}
    if isinstance(exc, FieldErrors):
        return exc.status, exc.errors
    field = exc.field or (
        "document" if isinstance(exc, UnsupportedDocument | DocumentTooLarge) else ""
    )
    return STATUS.get(type(exc), 400), {field: exc.detail}


async def small_form(request: Request) -> FormData:
    """A url-encoded form (no files), bounded in size."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > SMALL_FORM_BYTES:
        raise BadRequest("The form is larger than any HumanGov form can be.")
    try:
        return await request.form(max_files=0, max_fields=20)
    except (MultiPartException, ValueError, KeyError, UnicodeDecodeError):
        raise BadRequest(
            "The form data is malformed. Reload the page and submit the form again."
        ) from None


async def checked_form(request: Request) -> FormData:
    """A small form posted from one of our pages: its CSRF token must be the session's."""
    form = await small_form(request)
    require_csrf(request, form.get("csrf_token"))
    return form


def form_page(request: Request, template: str, status: int = 200, *,
              errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
              **context: Any) -> Response:
    """A page with a form: `errors` by field and what was typed, none on a first visit."""
    return render(request, template, status, errors=errors or {}, values=values or {},
                  **context)


async def submit(request: Request, fields: Iterable[str],
                 act: Callable[[dict[str, str]], Response], page: Callable[..., Response],
                 check: Callable[[dict[str, str]], Checks],
                 shown: tuple[type[HumanGovError], ...] = (InvalidInput,)) -> Response:
    """A form's post: `act` (blocking, so in a worker thread) on the text of its `fields`, and
    its answer, a redirect after a flash. First `check` gives each field's check (raising
    before it returns if the caller may not do this at all: a 403 is not a field's problem);
    they all run before `act`, so a rejected form writes nothing. Their errors, or `act`'s of
    a kind `shown`, render `page` again with each error next to its field, what was typed kept."""
    form = await checked_form(request)
    values = {name: text(form, name) for name in fields}

    def checked_act() -> Response:
        check_fields(check(values))
        return act(values)

    try:
        return await run_in_threadpool(checked_act)
    except shown as exc:
        status, errors = form_error(exc)
        return page(status=status, errors=errors, values=values)


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def parse_version(raw: str) -> int:
    if not raw.isdigit():
        raise InvalidInput(
            "The form lost track of the record's version. Reload the page and try again."
        )
    return int(raw)


def upload(form: FormData) -> UploadFile:
    """The chosen PDF. A browser sends an empty, nameless part when no file was chosen."""
    doc = form.get("document")
    if not isinstance(doc, UploadFile) or (not doc.filename and not doc.size):
        raise InvalidInput("Choose the scanned ID document (a PDF file).", field="document")
    return doc


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (an open redirect), never back to /login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path.startswith("/login"):
        return "/"
    return target
