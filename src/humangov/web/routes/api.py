"""REST API under /api/v1: states, employees, documents, history."""

from __future__ import annotations

import re
from contextlib import suppress
from functools import lru_cache
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.routing import Route
from starlette.types import Scope

from humangov.domain.errors import InvalidInput
from humangov.domain.model import EDITABLE_FIELDS
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
from humangov.web.openapi import READ_PROBLEMS, WRITE_PROBLEMS, problems
from humangov.web.schemas import (
    DOCUMENT_FORM,
    EMPLOYEE_CHANGES,
    EMPLOYEE_FORM,
    EmployeeId,
    EmployeePage,
    EmployeePublic,
    EmployeeQuery,
    HistoryEntryPublic,
    IfMatch,
    SeparationIn,
    StatePublic,
    check_employee_fields,
    employee_json,
    history_json,
    parse_if_match,
)
from humangov.web.uploads import document_file, read_form, text_fields

# operationIds are the handlers' names, which the links below refer to.
router = APIRouter(prefix="/api/v1", tags=["personnel"],
                   generate_unique_id_function=lambda route: route.name)

ETAG = {"ETag": {
    "required": True, "schema": {"type": "string"},
    "description": "The version, quoted; send it back in If-Match to change this employee",
}}
DOCUMENT_PROBLEMS = problems(400, 413, 415)
STALE = problems(412)
# Where an employee answer leads: its id and ETag feed the operations on that employee.
_THIS_EMPLOYEE = {"code": "$request.path.code", "employee_id": "$response.body#/id"}
_THIS_VERSION = {**_THIS_EMPLOYEE, "header.If-Match": "$response.header.ETag"}
EMPLOYEE_LINKS = {
    "get": {"operationId": "get_employee", "parameters": _THIS_EMPLOYEE},
    "history": {"operationId": "employee_history", "parameters": _THIS_EMPLOYEE},
    "document": {"operationId": "download_document", "parameters": _THIS_EMPLOYEE},
    "update": {"operationId": "update_employee", "parameters": _THIS_VERSION},
    "replace_document": {"operationId": "replace_document", "parameters": _THIS_VERSION},
    "delete": {"operationId": "delete_employee", "parameters": _THIS_VERSION},
}
AN_EMPLOYEE = {"headers": ETAG, "links": EMPLOYEE_LINKS}


def _json(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers=headers, media_type="application/json")


def _employee(e, status: int = 200) -> Response:
    return _json(employee_json(e), status, {"ETag": e.etag})


async def json_object(request: Request) -> dict:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    body = None
    if media_type == "application/json":
        with suppress(orjson.JSONDecodeError):
            body = orjson.loads(await request.body())
    if not isinstance(body, dict):
        raise InvalidInput('Send the changes as a JSON object (application/json), '
                           'such as {"role": "Lead"}.')
    return body


@router.get("/states", response_model=list[StatePublic], responses=problems(401, 503))
def list_states(container: ContainerDep, principal: PrincipalDep):
    states = [s for s in container.personnel.list_states() if principal.can_see(s.code)]
    return _json([{"code": s.code, "name": s.name} for s in states])


@router.get("/states/{code}/employees", response_model=EmployeePage, responses=READ_PROBLEMS)
async def list_employees(
    request: Request, code: StateCode, query: Annotated[EmployeeQuery, Query()]
):
    return employee_page(request, code, query, query.cursor)


def employee_page(request: Request, code: str, query: EmployeeQuery,
                  cursor: str | None) -> Response:
    """A page of the listing `query` asks for, from `cursor` (given apart: see
    employee_query; one inside `query` is not read)."""
    state = resolve_tenant(request, code)
    cache: ReadCache = request.app.state.read_cache
    key = ("employees", state, query, cursor)  # the query (frozen, hashable) names the page
    token, body = cache.get(key)
    if body is None:
        personnel = request.app.state.container.personnel
        ordering = query.ordering()
        asked = {"q": query.q, "limit": query.limit, "cursor": cursor,
                 "ordering": ordering, "separated": query.separated}
        rendered = personnel.list_employees_json(state, **asked)
        if rendered is not None:  # the employees' JSON made by the store: nothing to build
            items, cursors = rendered.items, (rendered.next_cursor, rendered.prev_cursor)
        else:
            page = personnel.list_employees(state, **asked)
            items = orjson.dumps([employee_json(e) for e in page.items])
            cursors = (page.next_cursor, page.prev_cursor)
        total = None
        if query.total and not query.q:
            total = personnel.count_employees(state, role=ordering.role)
        body = _page_json(items, *cursors, total)
        cache.put(key, token, body)
    return Response(body, media_type="application/json")


def _page_json(items: bytes, next_cursor: str | None, prev_cursor: str | None,
               total: int | None) -> bytes:
    """A page as EmployeePage's JSON, `items` (a JSON array) copied once: orjson would copy a
    Fragment of them again each time its buffer grows (a page is ~25 kB)."""
    parts = [b'{"items":', items, b',"next_cursor":', orjson.dumps(next_cursor),
             b',"prev_cursor":', orjson.dumps(prev_cursor)]
    if total is not None:
        parts += (b',"total":', b"%d" % total)
    parts.append(b"}")
    return b"".join(parts)


@router.post(
    "/states/{code}/employees",
    status_code=201,
    response_model=EmployeePublic,
    openapi_extra={"requestBody": EMPLOYEE_FORM},
    responses={201: AN_EMPLOYEE, **WRITE_PROBLEMS, **DOCUMENT_PROBLEMS},
)
async def create_employee(
    request: Request, state: TenantWrite, container: ContainerDep, principal: PrincipalDep
):
    synthetic = is_synthetic(request)
    async with read_form(request, container.settings.max_document_bytes) as form:
        fields = text_fields(form, EDITABLE_FIELDS)
        check_employee_fields(fields, partial=False)  # field errors (422) before file errors (415)
        doc = document_file(form)
        employee = await run_in_threadpool(
            container.personnel.add_employee,
            state,
            fields,
            doc.file,
            principal.actor,
            synthetic=synthetic,
        )
    return _employee(employee, 201)


@router.get(
    "/states/{code}/employees/{employee_id}",
    response_model=EmployeePublic,
    responses={200: AN_EMPLOYEE, **READ_PROBLEMS},
)
async def get_employee(request: Request, code: StateCode, employee_id: EmployeeId):
    state = resolve_tenant(request, code)
    return _employee(request.app.state.container.personnel.get_employee(state, employee_id))


@router.patch(
    "/states/{code}/employees/{employee_id}",
    response_model=EmployeePublic,
    openapi_extra={"requestBody": EMPLOYEE_CHANGES},
    responses={200: AN_EMPLOYEE, **WRITE_PROBLEMS, **STALE},
)
async def update_employee(
    request: Request,
    state: TenantWrite,
    employee_id: EmployeeId,
    container: ContainerDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
):
    changes = await json_object(request)
    if any(v is None for v in changes.values()):
        name = next(k for k, v in changes.items() if v is None)
        raise InvalidInput(
            f"{name} cannot be null; leave it out to keep the current value.", field=name
        )
    check_employee_fields(changes, partial=True)
    employee = await run_in_threadpool(
        container.personnel.update_employee,
        state,
        employee_id,
        changes,
        principal.actor,
        parse_if_match(if_match),
    )
    return _employee(employee)


@router.delete(
    "/states/{code}/employees/{employee_id}", status_code=204, responses={**WRITE_PROBLEMS, **STALE}
)
async def delete_employee(
    state: TenantWrite,
    employee_id: EmployeeId,
    container: ContainerDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
):
    await run_in_threadpool(
        container.personnel.delete_employee,
        state,
        employee_id,
        principal.actor,
        parse_if_match(if_match),
    )
    return Response(status_code=204)


@router.post(
    "/states/{code}/employees/{employee_id}/separation",
    response_model=EmployeePublic,
    responses={200: AN_EMPLOYEE, **WRITE_PROBLEMS, **STALE, **problems(400, 409)},
)
async def separate_employee(
    separation: SeparationIn,
    state: TenantWrite,
    employee_id: EmployeeId,
    container: ContainerDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
):
    """Mark the employee separated (`separated_on`, `reason`): out of the default list,
    history kept, and under the state's retention schedule from then on."""
    employee = await run_in_threadpool(
        container.personnel.separate_employee, state, employee_id, separation.separated_on,
        separation.reason, principal.actor, parse_if_match(if_match),
    )
    return _employee(employee)


@router.put(
    "/states/{code}/employees/{employee_id}/document",
    response_model=EmployeePublic,
    openapi_extra={"requestBody": DOCUMENT_FORM},
    responses={200: AN_EMPLOYEE, **WRITE_PROBLEMS, **STALE, **DOCUMENT_PROBLEMS},
)
async def replace_document(
    request: Request,
    state: TenantWrite,
    employee_id: EmployeeId,
    container: ContainerDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
):
    expected = parse_if_match(if_match)
    container.personnel.get_employee(state, employee_id)  # 404 before reading the upload
    async with read_form(request, container.settings.max_document_bytes) as form:
        doc = document_file(form)
        employee = await run_in_threadpool(
            container.personnel.replace_document,
            state,
            employee_id,
            doc.file,
            principal.actor,
            expected,
        )
    return _employee(employee)


@router.get(
    "/states/{code}/employees/{employee_id}/document",
    response_class=Response,
    responses={
        200: {
            "description": "The PDF, as an attachment",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        },
        **READ_PROBLEMS,
    },
)
async def download_document(state: TenantRead, employee_id: EmployeeId, container: ContainerDep):
    employee, chunks = await run_in_threadpool(
        container.personnel.open_document, state, employee_id
    )
    assert (
        employee.document is not None
    )  # open_document answers NotFound for an employee without one
    headers = {
        "Content-Disposition": f'attachment; filename="{employee.id}.pdf"',
        "X-Content-Type-Options": "nosniff",
        "Content-Length": str(employee.document.size),
        "Cache-Control": "private, no-store",
    }
    return StreamingResponse(
        iterate_in_threadpool(chunks), media_type="application/pdf", headers=headers
    )


@router.get(
    "/states/{code}/employees/{employee_id}/history",
    response_model=list[HistoryEntryPublic],
    responses=READ_PROBLEMS,
)
async def employee_history(state: TenantRead, employee_id: EmployeeId, container: ContainerDep):
    return _json([history_json(h) for h in container.personnel.history(state, employee_id)])


def employee_query(query_string: bytes) -> tuple[EmployeeQuery, str | None]:
    """The query parameters as FastAPI reads them for the twin (with the same 422), and the
    cursor apart. Clients repeat a few query strings, each page with another cursor: the rest
    is parsed once and kept, and a cursor sent plainly is checked against the model's own
    rules for the field. Anything else (no cursor, two, an escaped one, an error) is parsed
    whole, its cursor read from the query."""
    parts = query_string.split(b"&")
    cursors = [part for part in parts if part.startswith(b"cursor=")]
    if len(cursors) == 1:
        with suppress(ValidationError, RequestValidationError):
            cursor = _CURSOR.validate_python(cursors[0][len(b"cursor="):].decode("latin-1"))
            rest = _parsed_query(b"&".join(part for part in parts if part is not cursors[0]))
            if rest.cursor is None:  # else a bare "cursor" was sent too: parsed whole
                return rest, cursor
    query = _parsed_query(query_string)
    return query, query.cursor


@lru_cache(maxsize=1024)
def _parsed_query(query_string: bytes) -> EmployeeQuery:
    """A query string parsed whole (a refused one is not kept)."""
    try:
        return EmployeeQuery.model_validate(dict(QueryParams(query_string)))
    except ValidationError as exc:
        errors = [{**err, "loc": ("query", *err["loc"])} for err in exc.errors()]
        raise RequestValidationError(errors) from None


# The cursor parameter's own rules (length, alphabet), as the query model states them.
_CURSOR = TypeAdapter(Annotated[str, *EmployeeQuery.model_fields["cursor"].metadata])


# The two hottest reads get lean routes, matched before FastAPI's: the same handlers and the
# same query model, called without dependency solving, which costs more than the work itself
# (measured in docs/benchmarks.md). The FastAPI routes above document them. A GET that
# succeeds is answered before the middleware stack too (`hot_read`, web.app.HotReads).
async def _get_employee_lean(request: Request) -> Response:
    params = request.path_params
    return await get_employee(request, params["code"], params["employee_id"])


async def _list_employees_lean(request: Request) -> Response:
    query, cursor = employee_query(request.scope["query_string"])
    return employee_page(request, request.path_params["code"], query, cursor)


LEAN_ROUTES = [
    Route("/api/v1/states/{code}/employees/{employee_id}", _get_employee_lean, methods=["GET"]),
    Route("/api/v1/states/{code}/employees", _list_employees_lean, methods=["GET"]),
]
# The paths of the hot reads: a state's employees, or one of them.
HOT_READ = re.compile(r"/api/v1/states/([^/]{1,8})/employees(?:/([^/]+))?")


async def hot_read(scope: Scope, match: re.Match[str]) -> Response | None:
    """The answer to a GET (or HEAD) of one employee or of a page of employees (`match`, of
    HOT_READ on its path) when it is a success, else None: the stack then answers it, errors
    included, doing the work again (only failures pay for that)."""
    code, employee_id = match.groups()
    request = Request(scope)
    try:
        if employee_id is None:
            return employee_page(request, code, *employee_query(scope["query_string"]))
        return await get_employee(request, code, employee_id)
    except Exception:  # noqa: BLE001  # the stack answers it again, as the routes do
        return None
