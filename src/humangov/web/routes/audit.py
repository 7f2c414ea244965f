"""The security audit log: API and page. Who may read it is `Audit.events`' decision."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from humangov.domain.audit import KINDS
from humangov.domain.states import normalize_code
from humangov.web import deps
from humangov.web.deps import ContainerDep, PrincipalDep
from humangov.web.openapi import problems
from humangov.web.schemas import CURSOR_PATTERN, CURSOR_RULE

api_router = APIRouter(prefix="/api/v1", tags=["audit"])
pages_router = APIRouter(include_in_schema=False)

MAX_LIMIT = 200
PAGE = 50

# The kinds as a pattern, so the API's document says which values it takes.
KIND_PATTERN = "^(" + "|".join(re.escape(k) for k in KINDS) + ")?$"
Kind = Annotated[str | None, Query(max_length=40, pattern=KIND_PATTERN,
                                   json_schema_extra={"pattern": KIND_PATTERN},
                                   description=f"One of {', '.join(KINDS)}.")]
StateFilter = Annotated[str | None, Query(max_length=8, description="USPS code, such as CA.")]
Cursor = Annotated[str | None, Query(max_length=512, pattern=CURSOR_PATTERN,
                                     description=CURSOR_RULE)]


class AuditEventPublic(BaseModel):
    at: datetime
    kind: str
    actor: str
    state: str | None
    subject: str | None
    client: str | None
    detail: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEventPublic]
    next_cursor: str | None


@api_router.get("/audit", response_model=AuditPage, responses=problems(401, 403, 404, 422, 503))
def list_audit_events(
    principal: PrincipalDep, container: ContainerDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = PAGE,
    cursor: Cursor = None, kind: Kind = None, state: StateFilter = None,
) -> AuditPage:
    """Security events, newest first: logins, lockouts, sessions ended, users and tokens."""
    items, nxt = container.audit.events(
        principal, limit=limit, cursor=cursor, kind=kind or None,
        state=normalize_code(state) if state else None)
    return AuditPage(items=[AuditEventPublic(**dataclasses.asdict(e)) for e in items],
                     next_cursor=nxt)


@pages_router.get("/audit")
def audit_page(
    request: Request, principal: PrincipalDep, container: ContainerDep,
    cursor: Cursor = None, kind: Kind = None, state: StateFilter = None,
):
    items, nxt = container.audit.events(
        principal, limit=PAGE, cursor=cursor, kind=kind or None,
        state=normalize_code(state) if state else None)
    return deps.render(request, "audit.html", events=items, next_cursor=nxt, kinds=KINDS,
                       kind=kind or "", state=(state or "").upper())
