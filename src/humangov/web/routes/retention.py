"""The retention schedule of a state (API and page): read by its readers, set by its admins;
and the page that separates an employee."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from humangov.domain.errors import Conflict, InvalidInput
from humangov.domain.model import MAX_SEPARATION_REASON, clean_text, parse_separation
from humangov.domain.retention import MAX_YEARS, Schedule, parse_years
from humangov.web.deps import (
    ContainerDep,
    PrincipalDep,
    TenantRead,
    TenantWrite,
    render,
    require_csrf,
)
from humangov.web.openapi import READ_PROBLEMS, WRITE_PROBLEMS, problems
from humangov.web.pages.kit import check_fields, flash, form_error, see_other, small_form, text

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
          errors: dict | None = None, values: dict | None = None):
    schedule = container.retention.show(state)
    shown = values if values is not None else {
        "document_years": str(schedule.document_years or ""),
        "record_years": str(schedule.record_years or "")}
    return render(request, "retention.html", status, state=state, schedule=schedule,
                  past_due=container.retention.past_due(state), errors=errors or {},
                  values=shown)


@pages_router.get("/states/{code}/retention")
def retention_page(request: Request, state: TenantRead, container: ContainerDep):
    return _page(request, state, container)


@pages_router.post("/states/{code}/retention")
async def set_retention_form(request: Request, state: TenantRead, principal: PrincipalDep,
                             container: ContainerDep):
    form = await small_form(request)
    require_csrf(request, form.get("csrf_token"))
    values = {"document_years": text(form, "document_years"),
              "record_years": text(form, "record_years")}
    try:
        principal.require_state_admin(state, "set the retention schedule")  # before any check
        check_fields({name: partial(parse_years, name, values[name]) for name in values})
        await run_in_threadpool(container.retention.set, state,
                                values["document_years"] or None,
                                values["record_years"] or None, principal)
    except InvalidInput as exc:  # shown next to the field
        status, errors = form_error(exc)
        return _page(request, state, container, status=status, errors=errors, values=values)
    flash(request, "Retention schedule saved.")
    return see_other(f"/states/{state}/retention")


@pages_router.get("/states/{code}/employees/{employee_id}/separate")
def separate_page(employee_id: str, request: Request, state: TenantWrite,
                  container: ContainerDep):
    employee = container.personnel.get_employee(state, employee_id)
    return render(request, "employee/separate.html", e=employee, state=state, errors={},
                  values={})


@pages_router.post("/states/{code}/employees/{employee_id}/separate")
async def separate_form(employee_id: str, request: Request, state: TenantWrite,
                        principal: PrincipalDep, container: ContainerDep):
    form = await small_form(request)
    require_csrf(request, form.get("csrf_token"))
    values = {"separated_on": text(form, "separated_on"), "reason": text(form, "reason")}
    try:
        check_fields({
            "separated_on": lambda: parse_separation(values["separated_on"], "a reason"),
            "reason": lambda: clean_text("reason", values["reason"], MAX_SEPARATION_REASON)})
        employee = await run_in_threadpool(
            container.personnel.separate_employee, state, employee_id,
            values["separated_on"], values["reason"], principal.actor)
    except (InvalidInput, Conflict) as exc:  # shown next to the field
        status, errors = form_error(exc)
        current = container.personnel.get_employee(state, employee_id)
        return render(request, "employee/separate.html", status, e=current, state=state,
                      errors=errors, values=values)
    flash(request, f"{employee.first_name} {employee.last_name} is separated as of "
                   f"{employee.separated_on}.")
    return see_other(f"/states/{state}/employees/{employee_id}")
