"""Our errors -> HTTP, in one place. API paths answer application/problem+json (RFC 9457);
pages answer an HTML page (or a redirect to the login form)."""

from __future__ import annotations

import logging
from urllib.parse import quote

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from humangov.domain import errors as e
from humangov.web.deps import SESSION_COOKIE

log = logging.getLogger(__name__)

STATUS: dict[type[e.HumanGovError], int] = {
    e.InvalidInput: 422,
    e.NotFound: 404,
    e.NotYours: 404,
    e.Conflict: 409,
    e.StaleVersion: 412,
    e.Unauthenticated: 401,
    e.Forbidden: 403,
    e.UnsupportedDocument: 415,
    e.DocumentTooLarge: 413,
    e.StorageUnavailable: 503,
    e.StorageFull: 507,
}


class BadRequest(e.HumanGovError):
    title = "Bad request"


STATUS[BadRequest] = 400


def problem(status: int, title: str, detail: str, *, instance: str | None = None,
            headers: dict[str, str] | None = None, **extra) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="humangov"'}
    return Response(
        orjson.dumps(body), status, headers=headers, media_type="application/problem+json"
    )


METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> str:
    """Every method some route answers on this path. Routing stops at the first route whose
    path matches, so the 405 it raises names only that route's methods: ask every route."""

    def answers(route, method: str) -> bool:
        return route.matches({**request.scope, "method": method})[0] is Match.FULL

    routes = request.app.router.routes
    return ", ".join(m for m in METHOD_ORDER if any(answers(route, m) for route in routes))


def is_api(request: Request) -> bool:
    path = request.url.path
    return (
        path.startswith("/api/")
        or "application/json" in request.headers.get("accept", "")
        and not path.startswith("/states")
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(e.HumanGovError)
    async def _ours(request: Request, exc: e.HumanGovError):
        status = STATUS.get(type(exc), 400)
        if not is_api(request):
            if status == 401 and request.method == "POST" and SESSION_COOKIE in request.cookies:
                # A form sent after its session ended. Imported here: the pages import this module.
                from humangov.web.pages.session import login_again

                return await login_again(request)
            if isinstance(exc, e.NotYours):
                return page_error(request, 403, "No access", exc.page_detail)
            return page_error(request, status, exc.title, exc.detail)
        return problem(status, exc.title, exc.detail, instance=request.url.path, field=exc.field)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
        field = ".".join(loc) or None
        msg = first.get("msg", "invalid input")
        detail = f"{field}: {msg}" if field else msg
        if not is_api(request):
            return page_error(request, 422, "Invalid input", detail)
        return problem(
            422,
            "Invalid input",
            detail,
            instance=request.url.path,
            field=field,
            errors=[_plain(err) for err in exc.errors()],
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else "The request could not be handled."
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"There is nothing at {request.url.path}."
        headers = None
        if exc.status_code == 405:
            allow = allowed_methods(request)
            headers = {"Allow": allow}
            detail = f"{request.method} is not allowed on {request.url.path}; use {allow}."
        if not is_api(request):
            return page_error(request, exc.status_code, _title(exc.status_code), detail, headers)
        return problem(
            exc.status_code,
            _title(exc.status_code),
            detail,
            instance=request.url.path,
            headers=headers,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(
            500, "Internal error", "Something went wrong on our side; it has been logged."
        )


def page_error(
    request: Request, status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    templates = getattr(request.app.state, "templates", None)
    if templates is None:
        return problem(status, title, detail, headers=headers)
    context = {"status": status, "title": title, "detail": detail}
    return templates.TemplateResponse(
        request, "error.html", context, status_code=status, headers=headers
    )


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _plain(err: dict) -> dict:
    return {"loc": [str(p) for p in err.get("loc", ())], "msg": str(err.get("msg", ""))}
