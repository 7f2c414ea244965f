"""Erasure requests: counsel (or a state admin) files one and follows it to its receipts, by
API and in the browser. Who may do so is the Requests use case's decision."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from humangov.domain.errors import InvalidInput
from humangov.domain.requests import ErasureRequest
from humangov.erasure_requests.service import MAX_TEXT, as_json
from humangov.web.deps import ContainerDep, PrincipalDep, TenantRead, render
from humangov.web.openapi import READ_PROBLEMS, WRITE_PROBLEMS, problems
from humangov.web.pages.kit import Checks, bounded_text, flash, form_page, see_other, submit

api_router = APIRouter(prefix="/api/v1", tags=["erasure requests"])
pages_router = APIRouter(include_in_schema=False)

Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


class RequestIn(BaseModel):
    subject: Text = Field(description="Whom it concerns: employee ids or full names, "
                                      "separated by commas.")
    legal_basis: Text
    due: date = Field(description="The date it must be done by.")


class ReceiptOut(BaseModel):
    key: str
    result: str
    erased_at: datetime
    change_id: str


class RequestOut(BaseModel):
    id: str
    state: str
    subject: str
    legal_basis: str
    due: date
    filed_by: str
    filed_at: datetime
    status: str = Field(description="open, blocked (by a legal hold), overdue or done")
    outcome: str | None
    closed_at: datetime | None
    employee_ids: list[str]
    held: list[str]
    documents: int
    receipts: list[ReceiptOut]


class RequestList(BaseModel):
    state: str
    items: list[RequestOut]


def _out(r: ErasureRequest) -> RequestOut:
    return RequestOut.model_validate(as_json(r))


@api_router.get("/states/{code}/erasure-requests", response_model=RequestList,
                responses={**READ_PROBLEMS, **problems(403)})
def list_requests(state: TenantRead, principal: PrincipalDep,
                  container: ContainerDep) -> RequestList:
    """The state's erasure requests, newest first, kept 24 months after they close."""
    return RequestList(state=state, items=[_out(r) for r in
                                           container.requests.listing(principal, state)])


@api_router.post("/states/{code}/erasure-requests", response_model=RequestOut,
                 status_code=201, responses={**WRITE_PROBLEMS, **problems(400)})
def file_request(body: RequestIn, state: TenantRead, principal: PrincipalDep,
                 container: ContainerDep) -> JSONResponse:
    """File a request: the records it concerns are deleted and their documents erased with
    receipts (reason `erasure-request`); a legal hold keeps what it covers (status
    `blocked`)."""
    filed = container.requests.file(principal, state, subject=body.subject,
                                    legal_basis=body.legal_basis, due=body.due)
    return JSONResponse(_out(filed).model_dump(mode="json"), status_code=201,
                        headers={"Location": f"/api/v1/states/{state}/erasure-requests/"
                                             f"{filed.id}"})


@api_router.get("/states/{code}/erasure-requests/{request_id}", response_model=RequestOut,
                responses={**READ_PROBLEMS, **problems(403)})
def get_request(request_id: str, state: TenantRead, principal: PrincipalDep,
                container: ContainerDep) -> RequestOut:
    return _out(container.requests.get(principal, state, request_id))


# pages ---------------------------------------------------------------------------------------

def _due(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput("Give the due date as YYYY-MM-DD, such as 2026-03-31.",
                           field="due") from None


def _listing(request: Request, state: str, principal, container, **form) -> Response:
    return form_page(request, "requests/list.html", state=state,
                     requests=container.requests.listing(principal, state), **form)


@pages_router.get("/states/{code}/requests")
def requests_page(request: Request, state: TenantRead, principal: PrincipalDep,
                  container: ContainerDep):
    return _listing(request, state, principal, container)


@pages_router.post("/states/{code}/requests")
async def file_from_page(request: Request, state: TenantRead, principal: PrincipalDep,
                         container: ContainerDep):
    def check(values: dict[str, str]) -> Checks:
        principal.require_counsel(state, "file erasure requests")  # before any field's check
        return {"subject": lambda: bounded_text(values["subject"], "whom it concerns", MAX_TEXT),
                "legal_basis": lambda: bounded_text(values["legal_basis"], "the legal basis",
                                                    MAX_TEXT),
                "due": lambda: _due(values["due"])}

    def file(values: dict[str, str]) -> Response:
        filed = container.requests.file(principal, state, subject=values["subject"],
                                        legal_basis=values["legal_basis"],
                                        due=_due(values["due"]))
        flash(request, f"Filed the erasure request; its status is {filed.status}.")
        return see_other(f"/states/{state}/requests/{filed.id}")

    return await submit(request, ("subject", "legal_basis", "due"), file,
                        partial(_listing, request, state, principal, container), check)


@pages_router.get("/states/{code}/requests/{request_id}")
def request_page(request: Request, request_id: str, state: TenantRead, principal: PrincipalDep,
                 container: ContainerDep):
    return render(request, "requests/show.html", state=state,
                  r=container.requests.get(principal, state, request_id))
