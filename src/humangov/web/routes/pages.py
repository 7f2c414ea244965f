"""Server-rendered pages: log in, pick a state, list, add, edit, replace, view, history, delete.

Every page works without JavaScript. Every POST carries the session's CSRF token and answers
with a 303 redirect (post/redirect/get); a form with errors is shown again, with the user's
input and each message next to its field. Tenancy and roles come from the same dependencies
as the API (TenantRead/TenantWrite), so another state's page answers 404 and a viewer's
write 403.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request

from humangov.domain.auth import READ_ONLY
from humangov.domain.states import STATE_NAMES
from humangov.web.deps import ContainerDep, PrincipalDep, TenantRead, render
from humangov.web.pages import account, employees, session, users
from humangov.web.pages.kit import see_other

router = APIRouter(include_in_schema=False)
router.include_router(session.router)
router.include_router(account.router)

PAGE_SIZE = 50


@router.get("/")
def home(principal: PrincipalDep):
    return see_other("/states" if principal.is_admin else f"/states/{principal.state}")


@router.get("/states")
def state_picker(request: Request, principal: PrincipalDep, container: ContainerDep):
    if not principal.is_admin:
        return see_other(f"/states/{principal.state}")
    return render(
        request, "states.html", principal=principal, states=container.personnel.list_states()
    )


@router.get("/states/{code}")
def state_page(
    request: Request,
    state: TenantRead,
    principal: PrincipalDep,
    container: ContainerDep,
    q: Annotated[str, Query(max_length=100)] = "",
    cursor: Annotated[str | None, Query(max_length=512)] = None,
):
    page = container.personnel.list_employees(
        state, q=q or None, limit=PAGE_SIZE, cursor=cursor or None, include_synthetic=False
    )
    next_url = None
    if page.next_cursor:
        next_url = f"/states/{state}?" + urlencode(
            {k: v for k, v in (("q", q), ("cursor", page.next_cursor)) if v}
        )
    return render(
        request,
        "state.html",
        principal=principal,
        state=state,
        state_name=STATE_NAMES[state],
        employees=page.items,
        q=q,
        next_url=next_url,
        paged=bool(cursor),
        can_write=principal.role not in READ_ONLY,
    )


router.include_router(employees.router)
router.include_router(users.router)
