"""The Alarms page (alarm states, recent transitions, notification channels) and the Inbox
(notifications kept locally, including channel-disabled and monitor-degraded alerts).
Admins only. The service is `request.app.state.alarms` (an AlarmService)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from humangov.domain.errors import NotFound
from humangov.web.deps import AdminPrincipal

pages_router = APIRouter(include_in_schema=False)


def _service(request: Request):
    service = getattr(request.app.state, "alarms", None)
    if service is None:
        raise NotFound("Alarms are not running in this process (monitoring is switched off).")
    return service


def _render(request: Request, name: str, **context):
    return request.app.state.templates.TemplateResponse(request, name, context)


@pages_router.get("/alarms", response_class=HTMLResponse)
def alarms_page(request: Request, admin: AdminPrincipal):
    return _render(request, "alarms/alarms.html", **_service(request).overview())


@pages_router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, admin: AdminPrincipal):
    return _render(request, "alarms/inbox.html", items=_service(request).store.inbox(limit=200))
