"""API tokens under /api/v1/tokens: list, create, revoke. Admins manage every token, anyone
else the tokens they created (Principal.may_manage_token). A token's secret is in the answer
to its creation only; listings name tokens by id."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from humangov.accounts.service import MAX_TOKEN_DAYS, MAX_TOKEN_NAME, TOKEN_NAME_PATTERN
from humangov.domain.auth import ApiToken
from humangov.web.deps import ContainerDep, PrincipalDep
from humangov.web.openapi import problems

router = APIRouter(prefix="/api/v1", tags=["tokens"])


class TokenPublic(BaseModel):
    id: str
    name: str
    role: str
    state: str | None
    owner: str | None = Field(description="The id of the user who created it; null: the CLI")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(description="To the minute")


class TokenCreated(TokenPublic):
    token: str = Field(description="The bearer token. Shown only in this answer.")


class TokenRequest(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_TOKEN_NAME, pattern=TOKEN_NAME_PATTERN)
    expires_in_days: int | None = Field(
        None, ge=1, le=MAX_TOKEN_DAYS, description="It stops working this many days from now; "
        "null: never. The answer's `expires_at` says when.")


def token_public(t: ApiToken) -> TokenPublic:
    return TokenPublic(id=t.id, name=t.name, role=t.role, state=t.state, owner=t.owner,
                       created_at=t.created_at, expires_at=t.expires_at,
                       last_used_at=t.last_used_at)


@router.get("/tokens", response_model=list[TokenPublic], responses=problems(401, 503))
async def list_tokens(principal: PrincipalDep, container: ContainerDep):
    """The tokens you may manage: all of them for a platform admin, else the ones you created."""
    tokens = await run_in_threadpool(container.accounts.list_tokens, principal)
    return [token_public(t) for t in tokens]


@router.post("/tokens", status_code=201, response_model=TokenCreated,
             responses=problems(401, 403, 422, 503))
async def create_token(body: TokenRequest, principal: PrincipalDep, container: ContainerDep):
    """A token acting for you, with your role and state."""
    days = None if body.expires_in_days is None else timedelta(days=body.expires_in_days)
    plain, token = await run_in_threadpool(
        lambda: container.accounts.create_token_for(principal, body.name, expires_in=days))
    return TokenCreated(token=plain, **token_public(token).model_dump())


@router.delete("/tokens/{token_id}", status_code=204,
               responses=problems(401, 403, 404, 422, 503))
async def revoke_token(
    token_id: Annotated[str, Path(max_length=64)], principal: PrincipalDep,
    container: ContainerDep,
):
    """Revoke a token: it stops working at once."""
    await run_in_threadpool(container.accounts.revoke_token, principal, token_id)
    return Response(status_code=204)
