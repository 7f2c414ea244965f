"""Server-rendered pages: log in, pick a state, list, add, edit, replace, view, history, delete.

Every page works without JavaScript. Every POST carries the session's CSRF token and answers
with a 303 redirect (post/redirect/get); a form with errors is shown again, with the user's
input and each message next to its field. Tenancy and roles come from the same dependencies
as the API (TenantRead/TenantWrite), so another state's page answers 404 and a viewer's
write 403.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request

from humangov.domain.auth import READ_ONLY
from humangov.domain.model import MAX_ROLE
from humangov.domain.states import STATE_NAMES
from humangov.personnel.service import Personnel
from humangov.ports import Order
from humangov.web.cache import ReadCache
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


SORT_LABELS = {"name": "Name", "role": "Role", "salary": "Annual salary",
               "updated": "Last changed"}
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@router.get("/states/{code}")
def state_page(
    request: Request,
    state: TenantRead,
    principal: PrincipalDep,
    container: ContainerDep,
    q: Annotated[str, Query(max_length=100)] = "",
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    sort: Annotated[Literal["name", "role", "salary", "updated"], Query()] = "name",
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
    role: Annotated[str, Query(max_length=MAX_ROLE)] = "",
    start: Annotated[str, Query(max_length=1, pattern="^[A-Za-z]?$")] = "",
    separated: bool = False,
):
    """The list: a search (`q`), or everyone sorted by a column, both ways, optionally of one
    role, with the count, previous/next pages and, in ascending name order, jumps to a
    letter. Page numbers are left out on purpose: a keyset page does not know its ordinal
    without counting every row before it, while a letter is one index seek."""
    personnel = container.personnel
    ordering = personnel.list_order(Order(sort, order == "desc", role or None, start or None))
    page = personnel.list_employees(state, q=q or None, limit=PAGE_SIZE, cursor=cursor or None,
                                    include_synthetic=False, ordering=ordering,
                                    separated=separated)
    listing = {"sort": sort, "order": order, "role": ordering.role or "",
               "separated": "true" if separated else ""}
    if q:
        listing = {"q": q}

    def url(**changes: str | None) -> str:
        params = {k: v for k, v in {**listing, **changes}.items()
                  if v and (k, v) not in (("sort", "name"), ("order", "asc"))}
        return f"/states/{state}" + (f"?{urlencode(params)}" if params else "")

    return render(
        request,
        "state.html",
        principal=principal,
        state=state,
        state_name=STATE_NAMES[state],
        employees=page.items,
        q=q,
        role=ordering.role or "",
        # The count is of current employees: separated ones are listed without it.
        total=None if q or separated else _count(request, personnel, state, ordering.role),
        separated=separated,
        sort=sort,
        order=order,
        columns=[(key, label, url(sort=key, order="desc" if key == sort and order == "asc"
                                  else "asc")
                  if not q and key in personnel.list_sorts() else None)
                 for key, label in SORT_LABELS.items()],
        letters=[(letter, url(start=letter)) for letter in LETTERS]
        if not q and sort == "name" and order == "asc" else [],
        first_url=url() if cursor or start else None,
        prev_url=url(cursor=page.prev_cursor) if page.prev_cursor else None,
        next_url=url(cursor=page.next_cursor) if page.next_cursor else None,
        paged=bool(cursor or start),
        can_write=principal.role not in READ_ONLY,
    )


def _count(request: Request, personnel: Personnel, state: str, role: str | None) -> int:
    """The list's count, kept in the read cache until the next commit: a COUNT reads a
    whole index range, a page only its 50 rows."""
    cache: ReadCache = request.app.state.read_cache
    key = ("count", state, role)
    token, body = cache.get(key)
    if body is None:
        total = personnel.count_employees(state, role=role, include_synthetic=False)
        cache.put(key, token, str(total).encode())
        return total
    return int(body)


router.include_router(employees.router)
router.include_router(users.router)
