"""The retention schedule of a state (API and page): read by its readers, set by its admins;
and the page that separates an employee."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from humangov.domain.errors import Conflict, InvalidInput
from humangov.domain.model import MAX_SEPARATION_REASON, clean_text, parse_separation
from humangov.domain.retention import MAX_YEARS, Schedule, parse_years
from humangov.web.deps import ContainerDep, PrincipalDep, TenantRead, TenantWrite
from humangov.web.openapi import READ_PROBLEMS, WRITE_PROBLEMS, problems
from humangov.web.pages.kit import Checks, flash, form_page, see_other, submit

api_router = APIRouter(prefix="/api/v1", tags=["retention"])


def _whole(value: Any) -> Any:
    # JSON Schema's integer includes 97.0; text and booleans are not numbers.
    if isinstance(value, bool | str):
        raise ValueError("must be a whole number of years, or null")
    return int(value) if isinstance(value, float) and value.is_integer() else value


Years = Annotated[Annotated[int, Field(ge=1, le=MAX_YEARS)] | None, BeforeValidator(_whole),
                  Field(description="null: kept for ever")]


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    document_years: Years
    record_years: Years


class SchedulePublic(BaseModel):
    state: str
    document_years: int | None
    record_years: int | None
    set_by: str | None
    set_at: datetime | None

    @classmethod
    def of(cls, s: Schedule) -> SchedulePublic:
        return cls(state=s.state, document_years=s.document_years, record_years=s.record_years,
                   set_by=s.set_by, set_at=s.set_at)


@api_router.get("/states/{code}/retention", response_model=SchedulePublic,
                responses=READ_PROBLEMS)
def get_retention(state: TenantRead, container: ContainerDep):
    """The schedule in force: years a separated employee's document and record are kept
    (null: kept for ever)."""
    return SchedulePublic.of(container.retention.show(state))


@api_router.put("/states/{code}/retention", response_model=SchedulePublic,
                responses={**WRITE_PROBLEMS, **problems(400)})
async def set_retention(body: ScheduleIn, state: TenantRead, container: ContainerDep,
                        principal: PrincipalDep):
    """Set the schedule (a state admin): `document_years` and `record_years`, whole years or
    null for off. Recorded in the audit log."""
    schedule = await run_in_threadpool(
        container.retention.set, state, body.document_years, body.record_years, principal)
    return SchedulePublic.of(schedule)


# -- pages ------------------------------------------------------------------------------------

pages_router = APIRouter(include_in_schema=False)


def _page(request: Request, state: str, container, *, status: int = 200,
          errors: dict | None = None, values: dict | None = None) -> Response:
    schedule = container.retention.show(state)
    shown = values if values is not None else {
        "document_years": str(schedule.document_years or ""),
        "record_years": str(schedule.record_years or "")}
    return form_page(request, "retention.html", status, state=state, schedule=schedule,
                     past_due=container.retention.past_due(state), errors=errors,
                     values=shown)


@pages_router.get("/states/{code}/retention")
def retention_page(request: Request, state: TenantRead, container: ContainerDep):
    return _page(request, state, container)


@pages_router.post("/states/{code}/retention")
async def set_retention_form(request: Request, state: TenantRead, principal: PrincipalDep,
                             container: ContainerDep):
    def check(values: dict[str, str]) -> Checks:
        principal.require_state_admin(state, "set the retention schedule")  # before any field
        return {name: partial(parse_years, name, values[name]) for name in values}

    def save(values: dict[str, str]) -> Response:
        container.retention.set(state, values["document_years"] or None,
                                values["record_years"] or None, principal)
        flash(request, "Retention schedule saved.")
        return see_other(f"/states/{state}/retention")

    return await submit(request, ("document_years", "record_years"), save,
                        partial(_page, request, state, container), check)


def _separate_page(request: Request, state: str, employee_id: str, container,
                   **form) -> Response:
    return form_page(request, "employee/separate.html", state=state,
                     e=container.personnel.get_employee(state, employee_id), **form)


@pages_router.get("/states/{code}/employees/{employee_id}/separate")
def separate_page(employee_id: str, request: Request, state: TenantWrite,
                  container: ContainerDep):
    return _separate_page(request, state, employee_id, container)


@pages_router.post("/states/{code}/employees/{employee_id}/separate")
async def separate_form(employee_id: str, request: Request, state: TenantWrite,
                        principal: PrincipalDep, container: ContainerDep):
    def check(values: dict[str, str]) -> Checks:
        return {"separated_on": lambda: parse_separation(values["separated_on"], "a reason"),
                "reason": lambda: clean_text("reason", values["reason"],
                                             MAX_SEPARATION_REASON)}

    def separate(values: dict[str, str]) -> Response:
        employee = container.personnel.separate_employee(
            state, employee_id, values["separated_on"], values["reason"], principal.actor)
        flash(request, f"{employee.first_name} {employee.last_name} is separated as of "
                       f"{employee.separated_on}.")
        return see_other(f"/states/{state}/employees/{employee_id}")

    # A separation already recorded is shown on the form, as bad input is.
    return await submit(request, ("separated_on", "reason"), separate,
                        partial(_separate_page, request, state, employee_id, container), check,
                        shown=(InvalidInput, Conflict))
