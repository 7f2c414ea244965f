"""The retention schedule of a state (API): read by its readers, set by its admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from humangov.domain.retention import MAX_YEARS, Schedule
from humangov.web.deps import ContainerDep, PrincipalDep, TenantRead
from humangov.web.openapi import READ_PROBLEMS, WRITE_PROBLEMS, problems

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
