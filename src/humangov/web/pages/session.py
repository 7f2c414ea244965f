"""Logging in and out. Failures slow further guesses per client and per account
(accounts/throttle.py).

A login is a server-side session (Accounts.start_session): the cookie holds only its random
id, so logging out deletes the row and a copy of the cookie taken before is worthless."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from humangov.accounts.service import MAX_EMAIL, MAX_PASSWORD
from humangov.domain import audit
from humangov.domain.audit import ANONYMOUS
from humangov.domain.errors import Unauthenticated
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

router = APIRouter(include_in_schema=False)


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
    if len(email) > MAX_EMAIL or len(password) > MAX_PASSWORD:
        # Refused before the throttle or the user table see it: no entry, no lookup.
        return render(request, "login.html", 400, next=target, email="",
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
        )
    if not email or not password:
        errors = {"email": "Enter your email address."} if not email else {}
        if not password:
            errors["password"] = "Enter your password."
        return render(request, "login.html", 400, next=target, email=email, errors=errors)
    try:
        user = await run_in_threadpool(container.accounts.authenticate, email, password)
    except Unauthenticated as exc:
        throttle.failed(client, email)
        await audit_login(request, audit.LOGIN_FAILED, ANONYMOUS, email)
        # Once when the lockout starts, not per refused try: refusals cost a client nothing.
        if throttle.retry_after(client, email) > 0:
            await audit_login(request, audit.LOGIN_THROTTLED, ANONYMOUS, email)
        return render(request, "login.html", 400, next=target, email=email, errors={"": exc.detail})
    throttle.succeeded(client, email)
    if previous := request.cookies.get(SESSION_COOKIE):
        await run_in_threadpool(container.accounts.end_session, previous)
    plain, _ = await run_in_threadpool(container.accounts.start_session, user.id)
    await audit_login(request, audit.LOGIN_SUCCEEDED, f"user:{user.email}", user.email)
    # A fresh session: nothing from before the login survives, and the CSRF token rotates.
    request.session.clear()
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
