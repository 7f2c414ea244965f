"""Logging in and out. Failures slow further guesses per client and per account
(accounts/throttle.py).

A login is a server-side session (Accounts.start_session): the cookie holds only its random
id, so logging out deletes the row and a copy of the cookie taken before is worthless.

A form sent after the session ended is not dropped: the login form carries its fields
(`draft.<name>`, never a file), and once logged in the person sees them and sends them on."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from humangov.accounts.service import MAX_EMAIL, MAX_PASSWORD
from humangov.domain import audit
from humangov.domain.audit import ANONYMOUS
from humangov.domain.errors import HumanGovError, Unauthenticated
from humangov.web.deps import (
    SESSION_COOKIE,
    ContainerDep,
    audit_login,
    client_address,
    login_of,
    render,
    require_csrf,
)
from humangov.web.pages.kit import (
    OptionalPrincipal,
    flash,
    safe_next,
    see_other,
    small_form,
    text,
)
from humangov.web.uploads import FormTooLarge, read_form

router = APIRouter(include_in_schema=False)
DRAFT = "draft."
ENDED = (
    "Your session ended before the form was sent. Log in again to send it: what you typed "
    "is kept."
)


async def _submitted(request: Request) -> dict[str, str]:
    """The text fields of the form that was posted; files, the old CSRF token and anything
    unreadable are left out."""
    try:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            limit = request.app.state.container.settings.max_document_bytes
            async with read_form(request, limit) as form:
                items = form.multi_items()
        else:
            items = (await small_form(request)).multi_items()
    except FormTooLarge as exc:
        items = list(exc.fields.items())
    except HumanGovError:
        return {}
    return {k: v for k, v in items if isinstance(v, str) and k != "csrf_token"}


async def login_again(request: Request) -> Response:
    """The answer to a page form posted without a live session: log in, keeping the form."""
    draft = await _submitted(request)
    multipart = request.headers.get("content-type", "").startswith("multipart/form-data")
    return render(request, "login.html", 401, {"WWW-Authenticate": 'Bearer realm="humangov"'},
                  next=safe_next(request.url.path), email="", errors={"": ENDED}, draft=draft,
                  multipart=multipart)


@router.get("/login")
def login_form(
    request: Request,
    principal: OptionalPrincipal,
    next: Annotated[str, Query(max_length=2000)] = "/",
):
    if principal is not None:
        return see_other(safe_next(next))
    return render(request, "login.html", next=safe_next(next), email="", errors={})


@router.post("/login")
async def login(request: Request, container: ContainerDep):
    form = await small_form(request)
    require_csrf(request, form.get("csrf_token"))
    email, password, target = (
        text(form, "email").strip(),
        text(form, "password"),
        safe_next(text(form, "next")),
    )
    draft = {k.removeprefix(DRAFT): v for k, v in form.multi_items()
             if k.startswith(DRAFT) and isinstance(v, str)}
    kept: dict[str, Any] = {"draft": draft, "multipart": text(form, "multipart") == "1"}
    if len(email) > MAX_EMAIL or len(password) > MAX_PASSWORD:
        # Refused before the throttle or the user table see it: no entry, no lookup.
        return render(request, "login.html", 400, next=target, email="", **kept,
                      errors={"": "The email or password is longer than any HumanGov "
                                  "account's."})
    throttle = request.app.state.login_throttle
    client = client_address(request)
    wait = throttle.retry_after(client, email)
    if wait > 0:
        seconds = int(wait) + 1
        unit = "second" if seconds == 1 else "seconds"
        message = f"Too many failed attempts. Wait {seconds} {unit}, then try again."
        return render(
            request,
            "login.html",
            429,
            {"Retry-After": str(seconds)},
            next=target,
            email=email,
            errors={"": message},
            **kept,
        )
    if not email or not password:
        errors = {"email": "Enter your email address."} if not email else {}
        if not password:
            errors["password"] = "Enter your password."
        return render(request, "login.html", 400, next=target, email=email, errors=errors, **kept)
    try:
        user = await run_in_threadpool(container.accounts.authenticate, email, password)
    except Unauthenticated as exc:
        throttle.failed(client, email)
        await audit_login(request, audit.LOGIN_FAILED, ANONYMOUS, email)
        # Once when the lockout starts, not per refused try: refusals cost a client nothing.
        if throttle.retry_after(client, email) > 0:
            await audit_login(request, audit.LOGIN_THROTTLED, ANONYMOUS, email)
        return render(request, "login.html", 400, next=target, email=email,
                      errors={"": exc.detail}, **kept)
    throttle.succeeded(client, email)
    if previous := request.cookies.get(SESSION_COOKIE):
        await run_in_threadpool(container.accounts.end_session, previous)
    plain, _ = await run_in_threadpool(container.accounts.start_session, user.id)
    await audit_login(request, audit.LOGIN_SUCCEEDED, f"user:{user.email}", user.email)
    # A fresh session: nothing from before the login survives, and the CSRF token rotates.
    request.session.clear()
    if draft and target != "/":
        # Shown, not re-sent unseen: the fields came with a request we can no longer tie
        # to this person's session, so they confirm them first.
        request.scope["humangov.login"] = await run_in_threadpool(
            container.accounts.resume_session, plain
        )
        request.state.principal = request.scope["humangov.login"][0]
        response = render(request, "resume.html", target=target, **kept)
    else:
        response = see_other(target)
    settings = container.settings
    response.set_cookie(
        SESSION_COOKIE, plain, max_age=int(settings.session_lifetime.total_seconds()),
        httponly=True, samesite="lax", secure=settings.public_url.startswith("https://"),
    )
    return response


def signed_out(request: Request, message: str) -> Response:
    """To the login page, the session cookie dropped (its server side already gone)."""
    request.session.clear()
    flash(request, message)
    response = see_other("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/logout")
async def logout(request: Request, container: ContainerDep, principal: OptionalPrincipal):
    form = await small_form(request)
    if login_of(request) is None:  # already ended (timed out, or signed out elsewhere)
        return signed_out(request, "You are logged out.")
    require_csrf(request, form.get("csrf_token"))
    await run_in_threadpool(container.accounts.end_session, request.cookies[SESSION_COOKIE])
    if principal is not None:
        email = principal.actor.removeprefix("user:")
        await audit_login(request, audit.SESSION_ENDED, principal.actor, email, reason="logout")
    return signed_out(request, "You are logged out.")
