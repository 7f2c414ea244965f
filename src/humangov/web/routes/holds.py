"""Legal holds of a state: the API, and the page where state admins place and release them."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from humangov.domain.errors import InvalidInput, NotFound
from humangov.domain.holds import Hold
from humangov.erasure.report import holds_section
from humangov.holds.service import MAX_EMPLOYEES, MAX_MATTER
from humangov.web.deps import ContainerDep, PrincipalDep, TenantRead, client_address
from humangov.web.openapi import WRITE_PROBLEMS, problems
from humangov.web.pages.kit import (
    Checks,
    bounded_text,
    checked_form,
    flash,
    form_page,
    see_other,
    submit,
)

api_router = APIRouter(prefix="/api/v1", tags=["legal holds"])
pages_router = APIRouter(include_in_schema=False)


class HoldPublic(BaseModel):
    id: str
    state: str
    matter: str
    employee_ids: list[str] = Field(description="Empty: the hold covers the whole state.")
    placed_by: str
    placed_at: datetime
    released_by: str | None
    released_at: datetime | None
    active: bool

    @classmethod
    def of(cls, h: Hold) -> HoldPublic:
        return cls(id=h.id, state=h.state, matter=h.matter, employee_ids=list(h.employee_ids),
                   placed_by=h.placed_by, placed_at=h.placed_at, released_by=h.released_by,
                   released_at=h.released_at, active=h.active)


class HeldErasure(BaseModel):
    id: int
    change_id: str
    reason: str
    employee_id: str | None
    key: str | None
    requested_at: datetime
    held_by: str | None


class HoldList(BaseModel):
    state: str
    items: list[HoldPublic]
    held_erasures: list[HeldErasure] = Field(
        description="Erasures waiting for a hold's release; they proceed when it is released.")


class NewHold(BaseModel):
    matter: Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
    employee_ids: Annotated[list[Annotated[str, Field(max_length=64)]], Field(
        max_length=1000, description=(
        "The employees to hold; empty holds the whole state."))] = []


@api_router.get("/states/{code}/holds", response_model=HoldList, responses=WRITE_PROBLEMS)
def list_holds(state: TenantRead, principal: PrincipalDep, container: ContainerDep) -> HoldList:
    """The state's legal holds, in force and released, oldest first (state admins)."""
    holds = container.holds.list(principal, state)
    waiting = holds_section([], container.erasures.held(state))["held_erasures"]
    return HoldList(state=state, items=[HoldPublic.of(h) for h in holds],
                    held_erasures=[HeldErasure(**w) for w in waiting])


@api_router.post("/states/{code}/holds", status_code=201, response_model=HoldPublic,
                 responses=problems(400, 401, 403, 404, 422, 503))
def place_hold(body: NewHold, request: Request, state: TenantRead, principal: PrincipalDep,
               container: ContainerDep) -> HoldPublic:
    """Place a legal hold: nothing it covers is erased until it is released."""
    return HoldPublic.of(container.holds.place(principal, state, body.matter, body.employee_ids,
                                               client=client_address(request)))


@api_router.get("/states/{code}/holds/{hold_id}", response_model=HoldPublic,
                responses=WRITE_PROBLEMS)
def get_hold(hold_id: str, state: TenantRead, principal: PrincipalDep,
             container: ContainerDep) -> HoldPublic:
    return HoldPublic.of(container.holds.get(principal, state, hold_id))


@api_router.post("/states/{code}/holds/{hold_id}/release", response_model=HoldPublic,
                 responses=problems(401, 403, 404, 409, 422, 503))
def release_hold(hold_id: str, request: Request, state: TenantRead, principal: PrincipalDep,
                 container: ContainerDep) -> HoldPublic:
    """Release a legal hold: the erasures it kept waiting proceed, with their receipts."""
    return HoldPublic.of(container.holds.release(principal, state, hold_id,
                                                 client=client_address(request)))


def _ids(raw: str) -> list[str]:
    return raw.replace(",", " ").split()


def _check_ids(state: str, ids: list[str], container) -> None:
    if len(ids) > MAX_EMPLOYEES:
        raise InvalidInput(f"Name at most {MAX_EMPLOYEES} employees, or leave it empty to hold "
                           "the whole state.")
    if any(len(i) > 64 for i in ids):
        raise InvalidInput("An employee id has at most 64 characters: check the ids.")
    unknown = [i for i in ids if container.records.get_employee(state, i) is None]
    if unknown:
        raise NotFound(f"No employee {', '.join(unknown[:5])} in {state}: check the ids "
                       "against the employees' pages.")


def _page(request: Request, state: str, principal, container, **form) -> Response:
    return form_page(request, "holds/list.html", state=state,
                     holds=container.holds.list(principal, state),
                     held=container.erasures.held(state), **form)


@pages_router.get("/states/{code}/holds")
def holds_page(request: Request, state: TenantRead, principal: PrincipalDep,
               container: ContainerDep):
    return _page(request, state, principal, container)


@pages_router.post("/states/{code}/holds")
async def place_hold_form(request: Request, state: TenantRead, principal: PrincipalDep,
                          container: ContainerDep):
    def check(values: dict[str, str]) -> Checks:
        principal.require_state_admin(state, "place legal holds")  # before any field's check
        return {"matter": lambda: bounded_text(values["matter"], "the matter", MAX_MATTER),
                "employee_ids": lambda: _check_ids(state, _ids(values["employee_ids"]),
                                                   container)}

    def place(values: dict[str, str]) -> Response:
        hold = container.holds.place(principal, state, values["matter"],
                                     _ids(values["employee_ids"]),
                                     client=client_address(request))
        flash(request, f"Legal hold {hold.id} placed on {hold.scope}.")
        return see_other(f"/states/{state}/holds")

    # An unknown employee is shown next to the field, as bad input is.
    return await submit(request, ("matter", "employee_ids"), place,
                        partial(_page, request, state, principal, container), check,
                        shown=(InvalidInput, NotFound))


@pages_router.post("/states/{code}/holds/{hold_id}/release")
async def release_hold_form(hold_id: str, request: Request, state: TenantRead,
                            principal: PrincipalDep, container: ContainerDep):
    await checked_form(request)
    hold = await run_in_threadpool(container.holds.release, principal, state, hold_id,
                                   client=client_address(request))
    flash(request, f"Legal hold {hold.id} released; the erasures it held proceed.")
    return see_other(f"/states/{state}/holds")
