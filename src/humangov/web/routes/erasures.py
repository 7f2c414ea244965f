"""Erasure receipts (API and page) and the dead-letter page with its retry form."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel

from humangov.domain.auth import Principal
from humangov.domain.erasure import Receipt
from humangov.erasure.report import LATEST
from humangov.web import deps
from humangov.web.deps import ContainerDep, PrincipalDep, TenantRead
from humangov.web.openapi import READ_PROBLEMS
from humangov.web.schemas import CURSOR_PATTERN, CURSOR_RULE

api_router = APIRouter(prefix="/api/v1", tags=["erasures"])
pages_router = APIRouter(include_in_schema=False)

MAX_LIMIT = 200

# Canary erasures never mix with the state's own: a listing shows one kind or the other.
SyntheticFilter = Annotated[bool, Query(description=(
    "false (default): the state's own erasures; true: those of synthetic records the "
    "monitoring canaries created and deleted."))]


class ReceiptPublic(BaseModel):
    key: str
    size: int | None
    sha256: str | None
    versions: list[str]
    reason: str
    change_id: str
    actor: str
    requested_at: datetime
    erased_at: datetime
    result: str
    synthetic: bool

    @classmethod
    def of(cls, r: Receipt) -> ReceiptPublic:
        return cls(key=r.key, size=r.size, sha256=r.sha256, versions=list(r.versions),
                   reason=r.reason, change_id=r.change_id, actor=r.actor,
                   requested_at=r.requested_at, erased_at=r.erased_at, result=r.result,
                   synthetic=r.synthetic)


class ReceiptPage(BaseModel):
    state: str
    items: list[ReceiptPublic]
    next_cursor: str | None


@api_router.get("/states/{code}/erasures", response_model=ReceiptPage, responses=READ_PROBLEMS)
def list_erasures(
    state: TenantRead, container: ContainerDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=512, pattern=CURSOR_PATTERN,
                                        description=CURSOR_RULE)] = None,
    synthetic: SyntheticFilter = False,
) -> ReceiptPage:
    """Erasure receipts of the state, newest first: by default the state's own;
    `synthetic=true` lists those of the monitoring canaries' synthetic records instead."""
    items, nxt = container.erasures.receipts(state, limit=limit, cursor=cursor,
                                             synthetic=synthetic)
    return ReceiptPage(state=state, items=[ReceiptPublic.of(r) for r in items], next_cursor=nxt)


@pages_router.get("/states/{code}/erasures")
def erasures_page(
    request: Request, state: TenantRead, container: ContainerDep,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    synthetic: SyntheticFilter = False,
):
    erasures = container.erasures
    items, nxt = erasures.receipts(state, limit=50, cursor=cursor, synthetic=synthetic)
    return deps.render(request, "erasures/list.html", state=state, receipts=items, next_cursor=nxt,
                       pending=erasures.pending(state), synthetic=synthetic,
                       synthetic_count=erasures.synthetic_count(state))


@pages_router.get("/states/{code}/compliance")
def compliance_page(state: TenantRead, principal: PrincipalDep, container: ContainerDep):
    """The compliance report a state's counsel asks for, as `humangov compliance report`."""
    principal.require_counsel(state, "read the compliance report")
    report = container.erasures.report(state)
    # A browser shows the latest receipts usefully, never a million: the rest are one link away.
    html = report.html_chunks(limit=LATEST, json_url=f"/states/{state}/compliance.json")
    return HTMLResponse("".join(html))


@pages_router.get("/states/{code}/compliance.json")
def compliance_json(state: TenantRead, principal: PrincipalDep, container: ContainerDep):
    """The whole report with every receipt, written out as the ledger is read."""
    principal.require_counsel(state, "read the compliance report")
    report = container.erasures.report(state)
    return StreamingResponse(report.json_chunks(), media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="compliance-{state}.json"'})


def _dead_letter_scope(principal: Principal) -> str | None:
    """Every state's dead letters for a platform admin; a state admin's own state's."""
    if principal.is_admin:
        return None
    principal.require_state_admin(principal.state or "", "see and retry failed erasures")
    return principal.state


@pages_router.get("/erasure/dead-letters")
def dead_letters_page(request: Request, principal: PrincipalDep, container: ContainerDep):
    state = _dead_letter_scope(principal)
    return deps.render(
        request, "erasures/dead_letters.html", dead=container.erasures.dead_letters(state)
    )


@pages_router.post("/erasure/dead-letters/retry")
def retry_dead_letters(
    request: Request,
    principal: PrincipalDep,
    container: ContainerDep,
    csrf_token: Annotated[str, Form()] = "",
    intent_id: Annotated[str, Form()] = "",
):
    state = _dead_letter_scope(principal)
    deps.require_csrf(request, csrf_token)
    container.erasures.retry(int(intent_id) if intent_id.strip().isdigit() else None, state)
    return RedirectResponse("/erasure/dead-letters", status_code=303)
