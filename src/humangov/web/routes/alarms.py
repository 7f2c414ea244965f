"""The Alarms page (alarm states, recent transitions, notification channels), the Inbox
(notifications kept locally, including channel-disabled and monitor-degraded alerts), and
what people do about an alarm: acknowledge it, or silence its check for a while (audited,
and announced on the channels as a follow-up). Admins only. The service is
`request.app.state.alarms` (an AlarmService)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from humangov.domain import audit
from humangov.domain.errors import InvalidInput, NotFound
from humangov.web.deps import AdminPrincipal, ContainerDep, client_address, require_csrf
from humangov.web.pages.kit import flash, see_other, small_form, text

pages_router = APIRouter(include_in_schema=False)

# The choices the Silence button offers; a longer quiet belongs in the checks file.
SILENCE_FOR = {"15m": timedelta(minutes=15), "1h": timedelta(hours=1),
               "4h": timedelta(hours=4), "24h": timedelta(hours=24)}


def _service(request: Request):
    service = getattr(request.app.state, "alarms", None)
    if service is None:
        raise NotFound("Alarms are not running in this process (monitoring is switched off).")
    return service


def _render(request: Request, name: str, **context):
    return request.app.state.templates.TemplateResponse(request, name, context)


@pages_router.get("/alarms", response_class=HTMLResponse)
def alarms_page(request: Request, admin: AdminPrincipal):
    return _render(request, "alarms/alarms.html", silence_for=list(SILENCE_FOR),
                   **_service(request).overview())


@pages_router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, admin: AdminPrincipal):
    return _render(request, "alarms/inbox.html", items=_service(request).store.inbox(limit=200))


async def _checked_form(request: Request, check: str):
    form = await small_form(request)
    require_csrf(request, form.get("csrf_token"))
    service = _service(request)
    if check not in service.checks:
        raise NotFound(f"There is no monitoring check named {check!r}.")
    return form, service


@pages_router.post("/alarms/{check}/acknowledge")
async def acknowledge(request: Request, check: str, admin: AdminPrincipal,
                      container: ContainerDep):
    _, service = await _checked_form(request, check)
    service.acknowledge(check, admin.actor)  # on the loop: it wakes the dispatcher's tasks
    container.audit.record(audit.ALARM_ACKNOWLEDGED, admin.actor, subject=check,
                           client=client_address(request))
    flash(request, f"Alarm of {check} acknowledged: no reminders until it recovers.")
    return see_other("/alarms")


@pages_router.post("/alarms/{check}/silence")
async def silence(request: Request, check: str, admin: AdminPrincipal, container: ContainerDep):
    form, service = await _checked_form(request, check)
    choice = text(form, "duration")
    if choice not in SILENCE_FOR:
        raise InvalidInput(f"Choose how long to silence {check}: {', '.join(SILENCE_FOR)}.",
                           field="duration")
    until = service.silence(check, admin.actor, SILENCE_FOR[choice])
    container.audit.record(audit.ALARM_SILENCED, admin.actor, subject=check,
                           client=client_address(request), duration=choice,
                           until=until.isoformat())
    flash(request, f"{check} silenced for {choice}, until {until:%Y-%m-%d %H:%M} UTC.")
    return see_other("/alarms")
