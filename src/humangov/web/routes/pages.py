"""Server-rendered pages: log in, pick a state, list, add, edit, replace, view, history, delete.

Every page works without JavaScript. Every POST carries the session's CSRF token and answers
with a 303 redirect (post/redirect/get); a form with errors is shown again, with the user's
input and each message next to its field. Tenancy and roles come from the same dependencies
as the API (TenantRead/TenantWrite), so another state's page answers 404 and a viewer's
write 403.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException

from humangov.domain.auth import Principal
from humangov.domain.errors import (
    DocumentTooLarge,
    HumanGovError,
    InvalidInput,
    StaleVersion,
    Unauthenticated,
    UnsupportedDocument,
)
from humangov.domain.model import EDITABLE_FIELDS, Employee, validate_fields
from humangov.domain.states import STATE_NAMES
from humangov.personnel.documents import human_size
from humangov.web.deps import ContainerDep, PrincipalDep, TenantRead, TenantWrite, optional_principal, require_csrf
from humangov.web.errors import STATUS, BadRequest
from humangov.web.uploads import read_form, text_fields

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
SMALL_FORM_BYTES = 64 * 1024
STALE = "Someone else changed this record while you were editing it. Reload to see their changes, then edit again."
# What a form can show next to its fields; anything else becomes an error page.
FORM_ERRORS = (InvalidInput, UnsupportedDocument, DocumentTooLarge, StaleVersion)

OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


# helpers --------------------------------------------------------------------------------------
def render(request: Request, name: str, status: int = 200, headers: dict | None = None, **ctx: Any) -> Response:
    return request.app.state.templates.TemplateResponse(request, name, ctx, status_code=status, headers=headers)


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
    field = exc.field or ("document" if isinstance(exc, UnsupportedDocument | DocumentTooLarge) else "")
    return STATUS.get(type(exc), 400), {field: exc.detail}


async def small_form(request: Request) -> FormData:
    """A url-encoded form (no files), bounded in size."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > SMALL_FORM_BYTES:
        raise BadRequest("The form is larger than any HumanGov form can be.")
    try:
        return await request.form(max_files=0, max_fields=20)
    except (MultiPartException, ValueError, KeyError, UnicodeDecodeError):
        raise BadRequest("The form data is malformed. Reload the page and submit the form again.") from None


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def parse_version(raw: str) -> int:
    if not raw.isdigit():
        raise InvalidInput("The form lost track of the record's version. Reload the page and try again.")
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


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# session --------------------------------------------------------------------------------------
@router.get("/login")
def login_form(request: Request, principal: OptionalPrincipal, next: Annotated[str, Query(max_length=2000)] = "/"):
    if principal is not None:
        return see_other(safe_next(next))
    return render(request, "login.html", next=safe_next(next), email="", errors={})


@router.post("/login")
async def login(request: Request, container: ContainerDep):
    form = await small_form(request)
    require_csrf(request, form.get("csrf_token"))
    email, password, target = text(form, "email").strip(), text(form, "password"), safe_next(text(form, "next"))
    throttle = request.app.state.login_throttle
    client = client_of(request)
    wait = throttle.retry_after(client, email)
    if wait > 0:
        seconds = int(wait) + 1
        message = f"Too many failed attempts. Wait {seconds} second{'s' if seconds != 1 else ''}, then try again."
        return render(request, "login.html", 429, {"Retry-After": str(seconds)},
                      next=target, email=email, errors={"": message})
    if not email or not password:
        errors = {"email": "Enter your email address."} if not email else {}
        if not password:
            errors["password"] = "Enter your password."
        return render(request, "login.html", 400, next=target, email=email, errors=errors)
    try:
        user = await run_in_threadpool(container.accounts.authenticate, email, password)
    except Unauthenticated as exc:
        throttle.failed(client, email)
        return render(request, "login.html", 400, next=target, email=email, errors={"": exc.detail})
    throttle.succeeded(client, email)
    # A fresh session: nothing from before the login survives, and the CSRF token rotates.
    request.session.clear()
    request.session["uid"] = user.id
    return see_other(target)


@router.post("/logout")
async def logout(request: Request):
    form = await small_form(request)
    require_csrf(request, form.get("csrf_token"))
    request.session.clear()
    flash(request, "You are logged out.")
    return see_other("/login")


# states ---------------------------------------------------------------------------------------
@router.get("/")
def home(principal: PrincipalDep):
    return see_other("/states" if principal.is_admin else f"/states/{principal.state}")


@router.get("/states")
def state_picker(request: Request, principal: PrincipalDep, container: ContainerDep):
    if not principal.is_admin:
        return see_other(f"/states/{principal.state}")
    return render(request, "states.html", principal=principal, states=container.personnel.list_states())


@router.get("/states/{code}")
def state_page(
    request: Request, state: TenantRead, principal: PrincipalDep, container: ContainerDep,
    q: Annotated[str, Query(max_length=100)] = "",
    cursor: Annotated[str | None, Query(max_length=512)] = None,
):
    page = container.personnel.list_employees(
        state, q=q or None, limit=PAGE_SIZE, cursor=cursor or None, include_synthetic=False
    )
    next_url = None
    if page.next_cursor:
        next_url = f"/states/{state}?" + urlencode({k: v for k, v in (("q", q), ("cursor", page.next_cursor)) if v})
    return render(
        request, "state.html", principal=principal, state=state, state_name=STATE_NAMES[state],
        employees=page.items, q=q, next_url=next_url, paged=bool(cursor), can_write=principal.role != "viewer",
    )


# employees ------------------------------------------------------------------------------------
@router.get("/states/{code}/employees/new")
def new_employee_form(request: Request, state: TenantWrite):
    return render(request, "employee/new.html", state=state, values={}, errors={})


@router.post("/states/{code}/employees/new")
async def add_employee(request: Request, state: TenantWrite, container: ContainerDep, principal: PrincipalDep):
    values: dict[str, str] = {}
    try:
        async with read_form(request, container.settings.max_document_bytes) as form:
            require_csrf(request, form.get("csrf_token"))
            values = text_fields(form, EDITABLE_FIELDS)
            validate_fields(values, partial=False)  # field errors first, before reading the file
            doc = upload(form)
            employee = await run_in_threadpool(
                container.personnel.add_employee, state, values, doc.file, principal.actor
            )
    except FORM_ERRORS as exc:
        status, errors = form_error(exc)
        return render(request, "employee/new.html", status, state=state, values=values, errors=errors)
    flash(request, "Employee added.")
    return see_other(employee_url(employee))


@router.get("/states/{code}/employees/{employee_id}")
def employee_page(request: Request, state: TenantRead, employee_id: str, container: ContainerDep,
                  principal: PrincipalDep):
    employee = container.personnel.get_employee(state, employee_id)
    return render(request, "employee/detail.html", e=employee, can_write=principal.role != "viewer",
                  document_size=human_size(employee.document.size) if employee.document else None)


@router.get("/states/{code}/employees/{employee_id}/edit")
def edit_form(request: Request, state: TenantWrite, employee_id: str, container: ContainerDep):
    employee = container.personnel.get_employee(state, employee_id)
    values = {name: str(getattr(employee, name)) for name in EDITABLE_FIELDS}
    return render(request, "employee/edit.html", e=employee, values=values, version=employee.version, errors={})


@router.post("/states/{code}/employees/{employee_id}/edit")
async def edit(request: Request, state: TenantWrite, employee_id: str, container: ContainerDep,
               principal: PrincipalDep):
    form = await small_form(request)
    require_csrf(request, form.get("csrf_token"))
    current = container.personnel.get_employee(state, employee_id)
    values = text_fields(form, EDITABLE_FIELDS)
    version = text(form, "version")
    try:
        updated = await run_in_threadpool(
            container.personnel.update_employee, state, current.id, values, principal.actor,
            parse_version(version),
        )
    except FORM_ERRORS as exc:
        status, errors = form_error(exc)
        return render(request, "employee/edit.html", status, e=current, values=values, version=version,
                      errors=errors, stale=isinstance(exc, StaleVersion))
    flash(request, "Changes saved." if updated.version != current.version else "Nothing changed.")
    return see_other(employee_url(updated))


@router.get("/states/{code}/employees/{employee_id}/document")
def replace_form(request: Request, state: TenantWrite, employee_id: str, container: ContainerDep):
    employee = container.personnel.get_employee(state, employee_id)
    return render(request, "employee/document.html", e=employee, version=employee.version, errors={})


@router.post("/states/{code}/employees/{employee_id}/document")
async def replace_document(request: Request, state: TenantWrite, employee_id: str, container: ContainerDep,
                           principal: PrincipalDep):
    current = container.personnel.get_employee(state, employee_id)  # 404 before reading the upload
    version = ""
    try:
        async with read_form(request, container.settings.max_document_bytes) as form:
            require_csrf(request, form.get("csrf_token"))
            version = text(form, "version")
            expected = parse_version(version)
            updated = await run_in_threadpool(
                container.personnel.replace_document, state, current.id, upload(form).file, principal.actor,
                expected,
            )
    except FORM_ERRORS as exc:
        status, errors = form_error(exc)
        return render(request, "employee/document.html", status, e=current, version=version or current.version,
                      errors=errors, stale=isinstance(exc, StaleVersion))
    container.changed()  # wakes the erasure worker for the old file
    flash(request, "Document replaced. The previous file is being erased.")
    return see_other(employee_url(updated))


def _document(container, state: str, employee_id: str, disposition: str) -> StreamingResponse:
    employee, chunks = container.personnel.open_document(state, employee_id)
    headers = {
        "Content-Disposition": f'{disposition}; filename="{employee.id}.pdf"',
        "Content-Length": str(employee.document.size),
        "X-Content-Type-Options": "nosniff",
        # An uploaded file is untrusted content served from our origin: a sandbox gives it a
        # unique origin, so script in a crafted "PDF" cannot reach the session or our pages.
        # https://developer.mozilla.org/docs/Web/HTTP/Headers/Content-Security-Policy/sandbox
        "Content-Security-Policy": "sandbox",
        "Cache-Control": "private, no-store",
    }
    return StreamingResponse(iterate_in_threadpool(chunks), media_type="application/pdf", headers=headers)


@router.get("/states/{code}/employees/{employee_id}/document/view")
def view_document(state: TenantRead, employee_id: str, container: ContainerDep):
    return _document(container, state, employee_id, "inline")


@router.get("/states/{code}/employees/{employee_id}/document/download")
def download_document(state: TenantRead, employee_id: str, container: ContainerDep):
    return _document(container, state, employee_id, "attachment")


@router.get("/states/{code}/employees/{employee_id}/history")
def history_page(request: Request, state: TenantRead, employee_id: str, container: ContainerDep):
    entries = container.personnel.history(state, employee_id)
    employee = container.personnel.get_employee(state, employee_id)
    return render(request, "employee/history.html", e=employee, entries=list(reversed(entries)))


@router.get("/states/{code}/employees/{employee_id}/delete")
def delete_form(request: Request, state: TenantWrite, employee_id: str, container: ContainerDep):
    employee = container.personnel.get_employee(state, employee_id)
    return render(request, "employee/delete.html", e=employee, version=employee.version, errors={})


@router.post("/states/{code}/employees/{employee_id}/delete")
async def delete(request: Request, state: TenantWrite, employee_id: str, container: ContainerDep,
                 principal: PrincipalDep):
    form = await small_form(request)
    require_csrf(request, form.get("csrf_token"))
    current = container.personnel.get_employee(state, employee_id)
    version = text(form, "version")
    try:
        await run_in_threadpool(
            container.personnel.delete_employee, state, current.id, principal.actor, parse_version(version)
        )
    except FORM_ERRORS as exc:
        status, errors = form_error(exc)
        return render(request, "employee/delete.html", status, e=current, version=current.version, errors=errors,
                      stale=isinstance(exc, StaleVersion))
    container.changed()  # wakes the erasure worker for the document
    flash(request, "Employee record deleted. Its document is being erased.")
    return see_other(f"/states/{state}")
