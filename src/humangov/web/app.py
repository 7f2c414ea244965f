"""The FastAPI app factory."""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from fastapi_offline import FastAPIOffline
from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
)
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

import humangov
from humangov.accounts.throttle import LoginThrottle
from humangov.erasure.metrics import ErasureCollector
from humangov.web import errors, openapi
from humangov.web.cache import ReadCache
from humangov.web.deps import admin_principal, csrf_field, csrf_token
from humangov.web.present import history_label, when
from humangov.web.routes import (
    alarms,
    api,
    audit,
    erasures,
    health,
    holds,
    monitoring,
    pages,
    requests,
    retention,
    tokens,
    users,
)
from humangov.web.security import DOCS_ASSETS, NO_STORE, PageSecurityHeaders
from humangov.web.turns import Turns

if TYPE_CHECKING:
    from humangov.bootstrap import Container, Monitoring
    from humangov.change_token import ChangeToken

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
PRE_LOGIN_SECONDS = 8 * 3600


class BackgroundService(Protocol):
    """Something that runs beside the app while it serves (erasure worker, monitor...)."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


def metrics_registry() -> CollectorRegistry:
    """The app's own registry, served at /metrics: the process's CPU, memory and GC series,
    and whatever the composition root registers (erasures, canaries, alarms)."""
    registry = CollectorRegistry()
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(collector)
    return registry


def page_templates() -> Jinja2Templates:
    """The pages' templates with the helpers every page may use."""
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(csrf_token=csrf_token, csrf_field=csrf_field, when=when,
                                 history_label=history_label)
    return templates


class HotReads:
    """In front of the middleware stack: a GET (or HEAD) of one employee or of a page of
    employees that succeeds is answered here (`api.hot_read`), with the headers the stack
    would add: PageSecurityHeaders adds NO_STORE to an API answer that sets no Cache-Control
    (these never do); the session middleware adds nothing to a read that leaves the session
    alone. Everything else goes on to the stack. tests/api/test_hot_reads.py holds both ways
    to the same answers, headers included. Hot reads take turns (web.turns), so none waits
    behind requests that arrived after it, and read the database's change token once
    (`change_token`, for the token cache and the page cache both)."""

    def __init__(self, app: ASGIApp, change_token: ChangeToken):
        self.app = app
        self.turns = Turns()
        self.change_token = change_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["method"] in ("GET", "HEAD")
                and (match := api.HOT_READ.fullmatch(scope["path"]))):
            await self.turns.take()
            try:
                with self.change_token.held():  # the token and listing caches: one reading
                    response = await api.hot_read(scope, match)
            finally:
                self.turns.give_back()
            if response is not None:
                response.raw_headers.extend(NO_STORE.items())
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(
    container: Container,
    services: Sequence[BackgroundService] = (),
    *,
    canaries: Monitoring | None = None,
    metrics: CollectorRegistry | None = None,
) -> FastAPI:
    """The app over `container`. `services` run beside it while it serves; `canaries` (the
    canaries and alarms `serve` runs) feeds the monitoring pages; `metrics` is the registry
    `/metrics` serves, shared with the canaries' series."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        started = []
        try:
            for service in services:
                await service.start()
                started.append(service)
            # Everything built so far lives as long as the app: the collector need not walk
            # it again, which kept full collections (and the p99 they add) long under load.
            gc.freeze()
            yield
        finally:
            for service in reversed(started):
                try:
                    await service.stop()
                except Exception:
                    log.exception("stopping %s failed", type(service).__name__)

    app = FastAPIOffline(
        # /docs and /redoc load Swagger UI and Redoc from the app itself, never a CDN.
        static_url=DOCS_ASSETS,
        title="HumanGov",
        version=humangov.__version__,
        description="Personnel records for the 50 US states, with guaranteed document erasure.",
        lifespan=lifespan,
        # HumanGov exports no OpenTelemetry: skip FastAPI's per-request look for providers.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.container = container
    app.state.read_cache = ReadCache(container.change_token)
    app.state.monitoring_store = canaries.store if canaries else None
    app.state.monitoring_config = canaries.config if canaries else None
    app.state.alarms = canaries.alarms if canaries else None
    app.state.metrics = metrics if metrics is not None else metrics_registry()
    app.state.metrics.register(ErasureCollector(container.outbox))
    app.state.login_throttle = LoginThrottle(container.settings.login_attempts_per_minute)
    app.state.templates = page_templates()

    # Logins are server-side sessions (deps.login_of); this signed cookie only carries what a
    # visitor needs before logging in (the login form's CSRF token) and one-time messages.
    app.add_middleware(
        SessionMiddleware,
        secret_key=container.settings.session_secret(),
        session_cookie="humangov_form",
        max_age=PRE_LOGIN_SECONDS,
        same_site="lax",
        https_only=container.settings.public_url.startswith("https://"),
    )
    app.add_middleware(PageSecurityHeaders)
    errors.install(app)
    openapi.install(app)
    app.include_router(health.router)
    app.include_router(api.router)
    app.router.routes[0:0] = api.LEAN_ROUTES
    app.include_router(erasures.api_router)
    app.include_router(requests.api_router)
    app.include_router(retention.api_router)
    app.include_router(retention.pages_router)
    app.include_router(tokens.router)
    app.include_router(users.router)
    app.include_router(pages.router)
    app.include_router(erasures.pages_router)
    app.include_router(requests.pages_router)
    app.include_router(holds.api_router)
    app.include_router(holds.pages_router)
    app.include_router(audit.api_router)
    app.include_router(audit.pages_router)
    # Operations pages are for platform admins: they span every state.
    admins_only = [Depends(admin_principal)]
    app.include_router(monitoring.api_router, dependencies=admins_only)
    app.include_router(monitoring.pages_router, dependencies=admins_only)
    app.include_router(alarms.pages_router, dependencies=admins_only)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    # Starlette builds the stack on the first request; the hot reads go in front of it.
    build_stack = app.build_middleware_stack

    def hot_reads_first() -> ASGIApp:
        return HotReads(build_stack(), container.change_token)

    app.build_middleware_stack = hot_reads_first  # type: ignore[method-assign]
    return app
