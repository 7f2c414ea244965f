"""/account: your API tokens (create, revoke) and "sign out everywhere"."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from humangov.accounts.service import MAX_TOKEN_DAYS
from humangov.domain.auth import Principal
from humangov.domain.errors import InvalidInput
from humangov.web.deps import ContainerDep, PrincipalDep, render, require_csrf
from humangov.web.pages.kit import flash, form_error, see_other, small_form, text
from humangov.web.pages.session import signed_out

router = APIRouter(include_in_schema=False)


def account_page(request: Request, container, principal: Principal, status: int = 200, **ctx):
    tokens = container.accounts.list_tokens(principal)
    ctx.setdefault("errors", {})
    return render(request, "account.html", status, principal=principal, tokens=tokens, **ctx)


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


@router.post("/account/tokens")
async def create_token(request: Request, principal: PrincipalDep, container: ContainerDep):
    form = await small_form(request)
    require_csrf(request, form.get("csrf_token"))
    name = text(form, "name")
    try:
        days = expiry_days(text(form, "expires_days"))
        plain, token = await run_in_threadpool(
            lambda: container.accounts.create_token_for(principal, name, expires_in=days))
    except InvalidInput as exc:
        status, errors = form_error(exc)
        return await run_in_threadpool(account_page, request, container, principal, status,
                                       errors=errors, token_name=name)
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
