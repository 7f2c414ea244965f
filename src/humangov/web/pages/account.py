"""/account: your API tokens (create, revoke) and "sign out everywhere"."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import partial

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from humangov.accounts.service import MAX_TOKEN_DAYS, MAX_TOKEN_NAME, TOKEN_NAME_PATTERN
from humangov.domain.auth import Principal
from humangov.domain.errors import InvalidInput
from humangov.web.deps import ContainerDep, PrincipalDep, render, require_csrf
from humangov.web.pages.kit import check_fields, flash, form_error, see_other, small_form, text
from humangov.web.pages.session import signed_out

router = APIRouter(include_in_schema=False)


def account_page(request: Request, container, principal: Principal, status: int = 200, **ctx):
    tokens = container.accounts.list_tokens(principal)
    ctx.setdefault("errors", {})
    ctx.setdefault("values", {"expires_days": "90"})
    return render(request, "account.html", status, principal=principal, tokens=tokens,
                  max_name=MAX_TOKEN_NAME, max_days=MAX_TOKEN_DAYS, **ctx)


@router.get("/account")
def account(request: Request, principal: PrincipalDep, container: ContainerDep):
    return account_page(request, container, principal)


def expiry_days(raw: str) -> timedelta | None:
    if not raw.strip():
        return None
    if not raw.strip().isdigit() or not 1 <= int(raw) <= MAX_TOKEN_DAYS:
        raise InvalidInput(f"Give a whole number of days from 1 to {MAX_TOKEN_DAYS}, or leave it "
                           "empty for a token that does not expire.", field="expires_days")
    return timedelta(days=int(raw))


def _check_name(name: str) -> None:
    if len(name.strip()) > MAX_TOKEN_NAME or not re.match(TOKEN_NAME_PATTERN, name):
        raise InvalidInput(f"Shorten the name to at most {MAX_TOKEN_NAME} characters and "
                           "remove any control or text-direction characters.")


@router.post("/account/tokens")
async def create_token(request: Request, principal: PrincipalDep, container: ContainerDep):
    form = await small_form(request)
    require_csrf(request, form.get("csrf_token"))
    name, expires = text(form, "name"), text(form, "expires_days")
    try:
        check_fields({"name": lambda: _check_name(name),
                      "expires_days": lambda: expiry_days(expires)})
        days = expiry_days(expires)
        plain, token = await run_in_threadpool(
            lambda: container.accounts.create_token_for(principal, name, expires_in=days))
    except InvalidInput as exc:
        status, errors = form_error(exc)
        values = {"name": name, "expires_days": expires}
        return await run_in_threadpool(account_page, request, container, principal, status,
                                       errors=errors, values=values)
    # Shown on this answer only (never in a redirect's cookie): it is stored as a hash.
    return await run_in_threadpool(account_page, request, container, principal, 200,
                                   created=plain, created_name=token.name)


@router.post("/account/tokens/{token_id}/revoke")
async def revoke_token(
    request: Request, token_id: str, principal: PrincipalDep, container: ContainerDep
):
    form = await small_form(request)
    require_csrf(request, form.get("csrf_token"))
    token = await run_in_threadpool(container.accounts.revoke_token, principal, token_id)
    flash(request, f"Token {token.name} revoked.")
    return see_other("/account")


@router.post("/account/sign-out-everywhere")
async def sign_out_everywhere(request: Request, principal: PrincipalDep, container: ContainerDep):
    form = await small_form(request)
    require_csrf(request, form.get("csrf_token"))
    if principal.user_id is not None:
        await run_in_threadpool(
            partial(container.accounts.end_sessions, principal.user_id, by=principal))
    return signed_out(request, "You are signed out on every device.")
