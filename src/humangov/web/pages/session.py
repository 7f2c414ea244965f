"""Logging in and out. Failures slow further guesses per client and per account
(accounts/throttle.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from humangov.accounts.service import MAX_EMAIL, MAX_PASSWORD
from humangov.domain.errors import Unauthenticated
from humangov.web.deps import ContainerDep, render, require_csrf
from humangov.web.pages.kit import (
    OptionalPrincipal,
    client_of,
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
    client = client_of(request)
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
