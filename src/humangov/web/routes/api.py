"""REST API under /api/v1: states, employees, documents, history."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.routing import Route

from humangov.domain.errors import InvalidInput
from humangov.domain.model import EDITABLE_FIELDS, validate_fields
from humangov.web.cache import ReadCache
from humangov.web.deps import (
    ContainerDep,
    PrincipalDep,
    StateCode,
    TenantRead,
    TenantWrite,
    is_synthetic,
    resolve_tenant,
)
from humangov.web.schemas import (
    DOCUMENT_FORM,
    EMPLOYEE_FORM,
    EmployeePage,
    EmployeePublic,
    EmployeeUpdate,
    HistoryEntryPublic,
    StatePublic,
    employee_json,
    history_json,
)
from humangov.web.uploads import document_file, read_form, text_fields

router = APIRouter(prefix="/api/v1", tags=["personnel"])
EmployeeId = Annotated[str, "employee UUID"]
IfMatch = Annotated[str | None, Header(description="The employee's version or ETag")]

PROBLEMS = {
    code: {"description": desc, "content": {"application/problem+json": {}}}
    for code, desc in {401: "No or invalid credentials", 403: "Your role may not do this",
                       404: "Unknown state or employee", 422: "Invalid field"}.items()
}


def _json(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers=headers, media_type="application/json")


def _employee(e, status: int = 200) -> Response:
    return _json(employee_json(e), status, {"ETag": e.etag})


def parse_if_match(value: str | None) -> int | None:
    if value is None or value.strip() == "*":
        return None
    raw = value.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise InvalidInput("If-Match must be the employee's version, such as 3 or \"3\".", field="If-Match")
    return int(raw)


@router.get("/states", response_model=list[StatePublic])
def list_states(container: ContainerDep, principal: PrincipalDep):
    states = [s for s in container.personnel.list_states() if principal.can_see(s.code)]
    return _json([{"code": s.code, "name": s.name} for s in states])


@router.get("/states/{code}/employees", response_model=EmployeePage, responses=PROBLEMS)
async def list_employees(
    request: Request, code: StateCode,
    q: Annotated[str | None, Query(max_length=100, description="Search name and role")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
):
    state = resolve_tenant(request, code)
    cache: ReadCache = request.app.state.read_cache
    key = ("employees", state, q, limit, cursor)
    token, body = cache.get(key)
    if body is None:
        page = request.app.state.container.personnel.list_employees(state, q=q, limit=limit, cursor=cursor)
        body = orjson.dumps({"items": [employee_json(e) for e in page.items], "next_cursor": page.next_cursor})
        cache.put(key, token, body)
    return Response(body, media_type="application/json")


@router.post(
    "/states/{code}/employees", status_code=201, response_model=EmployeePublic,
    openapi_extra={"requestBody": EMPLOYEE_FORM},
    responses={**PROBLEMS, 400: {"description": "Malformed multipart"}, 413: {"description": "Too large"},
               415: {"description": "Not a PDF"}},
)
async def create_employee(request: Request, state: TenantWrite, container: ContainerDep, principal: PrincipalDep):
    synthetic = is_synthetic(request)
    async with read_form(request, container.settings.max_document_bytes) as form:
        fields = text_fields(form, EDITABLE_FIELDS)
        synthetic = synthetic or str(form.get("synthetic", "")).lower() in ("1", "true")
        validate_fields(fields, partial=False)  # field errors (422) before file errors (415)
        doc = document_file(form)
        employee = await run_in_threadpool(
            container.personnel.add_employee, state, fields, doc.file, principal.actor, synthetic=synthetic
        )
    return _employee(employee, 201)


@router.get("/states/{code}/employees/{employee_id}", response_model=EmployeePublic, responses=PROBLEMS)
async def get_employee(request: Request, code: StateCode, employee_id: EmployeeId):
    state = resolve_tenant(request, code)
    return _employee(request.app.state.container.personnel.get_employee(state, employee_id))


@router.patch("/states/{code}/employees/{employee_id}", response_model=EmployeePublic,
              responses={**PROBLEMS, 412: {"description": "Stale version"}})
async def update_employee(
    state: TenantWrite, employee_id: EmployeeId, body: EmployeeUpdate, container: ContainerDep,
    principal: PrincipalDep, if_match: IfMatch = None,
):
    changes = body.model_dump(exclude_unset=True)
    if any(v is None for v in changes.values()):
        name = next(k for k, v in changes.items() if v is None)
        raise InvalidInput(f"{name} cannot be null; leave it out to keep the current value.", field=name)
    employee = await run_in_threadpool(
        container.personnel.update_employee, state, employee_id, changes, principal.actor,
        parse_if_match(if_match),
    )
    return _employee(employee)


@router.delete("/states/{code}/employees/{employee_id}", status_code=204,
               responses={**PROBLEMS, 412: {"description": "Stale version"}})
async def delete_employee(
    state: TenantWrite, employee_id: EmployeeId, container: ContainerDep, principal: PrincipalDep,
    if_match: IfMatch = None,
):
    await run_in_threadpool(
        container.personnel.delete_employee, state, employee_id, principal.actor, parse_if_match(if_match)
    )
    return Response(status_code=204)


@router.put("/states/{code}/employees/{employee_id}/document", response_model=EmployeePublic,
            openapi_extra={"requestBody": DOCUMENT_FORM},
            responses={**PROBLEMS, 400: {"description": "Malformed multipart"}, 412: {"description": "Stale"},
                       413: {"description": "Too large"}, 415: {"description": "Not a PDF"}})
async def replace_document(
    request: Request, state: TenantWrite, employee_id: EmployeeId, container: ContainerDep,
    principal: PrincipalDep, if_match: IfMatch = None,
):
    expected = parse_if_match(if_match)
    container.personnel.get_employee(state, employee_id)  # 404 before reading the upload
    async with read_form(request, container.settings.max_document_bytes) as form:
        doc = document_file(form)
        employee = await run_in_threadpool(
            container.personnel.replace_document, state, employee_id, doc.file, principal.actor, expected
        )
    return _employee(employee)


@router.get("/states/{code}/employees/{employee_id}/document", responses={
    **PROBLEMS, 200: {"content": {"application/pdf": {}}, "description": "The PDF"}})
async def download_document(state: TenantRead, employee_id: EmployeeId, container: ContainerDep):
    employee, chunks = await run_in_threadpool(container.personnel.open_document, state, employee_id)
    headers = {
        "Content-Disposition": f'attachment; filename="{employee.id}.pdf"',
        "X-Content-Type-Options": "nosniff",
        "Content-Length": str(employee.document.size),
        "Cache-Control": "private, no-store",
    }
    return StreamingResponse(iterate_in_threadpool(chunks), media_type="application/pdf", headers=headers)


@router.get("/states/{code}/employees/{employee_id}/history", response_model=list[HistoryEntryPublic],
            responses=PROBLEMS)
async def employee_history(state: TenantRead, employee_id: EmployeeId, container: ContainerDep):
    return _json([history_json(h) for h in container.personnel.history(state, employee_id)])


# The two hottest reads also get lean routes, matched before FastAPI's: the same handlers,
# called without dependency solving and parameter validation, which cost more than the work
# itself (measured in docs/benchmarks.md). The FastAPI routes above document them.
async def _get_employee_lean(request: Request) -> Response:
    params = request.path_params
    return await get_employee(request, params["code"], params["employee_id"])


async def _list_employees_lean(request: Request) -> Response:
    query = request.query_params
    raw_limit = query.get("limit", "50")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 200:
        raise InvalidInput("limit must be a whole number between 1 and 200.", field="limit")
    q, cursor = query.get("q"), query.get("cursor")
    if q is not None and len(q) > 100:
        raise InvalidInput("q must be at most 100 characters.", field="q")
    if cursor is not None and len(cursor) > 512:
        raise InvalidInput("cursor is not one this API gave out; start again without it.", field="cursor")
    return await list_employees(request, request.path_params["code"], q=q, limit=int(raw_limit), cursor=cursor)


LEAN_ROUTES = [
    Route("/api/v1/states/{code}/employees/{employee_id}", _get_employee_lean, methods=["GET"]),
    Route("/api/v1/states/{code}/employees", _list_employees_lean, methods=["GET"]),
]
