"""Monitoring over HTTP: the JSON API (`api_router`) and the web pages (`pages_router`).

Both read the run store from `request.app.state.monitoring_store` and, when present, the
check definitions from `request.app.state.monitoring_config` (so checks that have not run yet
are listed too).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, DictLoader, FileSystemLoader
from markupsafe import Markup

from humangov.domain.errors import NotFound
from humangov.monitoring.charts import bar_class, bar_title, latency_svg
from humangov.monitoring.store import RunStore
from humangov.monitoring.targets import check_target, failing_target
from humangov.web.openapi import problems
from humangov.web.present import when

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
# Used only when the app's own base.html is absent (the engine running without the full UI).
_FALLBACK_BASE = (
    "<!doctype html><html><head><meta charset=utf-8><title>{% block title %}{% endblock %}</title>"
    "</head><body>{% block content %}{% endblock %}</body></html>"
)
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.loader = ChoiceLoader(
    [FileSystemLoader(str(TEMPLATES_DIR)), DictLoader({"base.html": _FALLBACK_BASE})]
)
templates.env.globals.update(bar_class=bar_class, bar_title=bar_title, when=when)

api_router = APIRouter(prefix="/api/v1/monitoring", tags=["monitoring"])
pages_router = APIRouter(include_in_schema=False)
# Admins only (app.py adds the dependency); 404 also when monitoring is not running here.
ADMIN_PROBLEMS = problems(401, 403, 404)


def _render(request: Request, name: str, context: dict):
    """With the app's own templates when it has them (its base.html needs its globals)."""
    env_templates = getattr(request.app.state, "templates", None) or templates
    for key, value in (("bar_class", bar_class), ("bar_title", bar_title), ("when", when)):
        env_templates.env.globals.setdefault(key, value)
    return env_templates.TemplateResponse(request, name, context)


def _store(request: Request) -> RunStore:
    store = getattr(request.app.state, "monitoring_store", None)
    if store is None:
        raise NotFound(
            "Monitoring is not running in this process; start `humangov serve` without "
            "--no-monitoring, or run `humangov monitor`."
        )
    return store


def _checks(request: Request) -> list[dict]:
    """name, type, state of every known check: configured ones first, then any in the store."""
    config = getattr(request.app.state, "monitoring_config", None)
    known = [
        {"name": c.name, "type": c.type, "state": c.state}
        for c in (config.checks if config else [])
    ]
    names = {c["name"] for c in known}
    for name in _store(request).check_names():
        if name not in names:
            known.append({"name": name, "type": None, "state": None})
    return known


def _definition(request: Request, name: str):
    """The configured check (for its URLs), or None for one only the store knows."""
    config = getattr(request.app.state, "monitoring_config", None)
    return next((c for c in (config.checks if config else []) if c.name == name), None)


def _alarming(request: Request) -> set[str]:
    service = getattr(request.app.state, "alarms", None)
    return service.alarming() if service is not None else set()


def _require_check(request: Request, name: str) -> dict:
    for check in _checks(request):
        if check["name"] == name:
            return check
    raise NotFound(
        f"There is no monitoring check named {name!r}. GET /api/v1/monitoring/checks lists them."
    )


def _run_json(run) -> dict:
    return {
        "id": run.run_id,
        "check": run.check,
        "status": run.status,
        "trigger": run.trigger,
        "started_at": run.started_at.isoformat(),
        "scheduled_at": run.scheduled_at.isoformat() if run.scheduled_at else None,
        "duration_ms": run.duration_ms,
        "error": run.error,
        "failing_step": run.failing_step,
        "steps": [
            {"name": s.name, "status": s.status, "duration_ms": s.duration_ms, "error": s.error}
            for s in run.steps
        ],
        "artifacts": [f"/monitoring/artifacts/{run.run_id}/{Path(p).name}" for p in run.artifacts],
    }


@api_router.get("/checks", responses=ADMIN_PROBLEMS)
def list_checks(request: Request) -> list[dict]:
    store = _store(request)
    out = []
    for check in _checks(request):
        summary = store.summary(check["name"])
        out.append(
            {
                "name": check["name"],
                "type": check["type"] or summary.check_type or None,
                "state": check["state"],
                "last_status": summary.last_status,
                "last_run_at": summary.last_run_at.isoformat() if summary.last_run_at else None,
                "success_24h": summary.success_24h,
            }
        )
    return out


@api_router.get("/checks/{name}/runs", responses={**ADMIN_PROBLEMS, **problems(422)})
def list_runs(
    request: Request,
    name: str,
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = None,
) -> dict:
    _require_check(request, name)
    runs, next_cursor = _store(request).list_runs(name, limit=limit, cursor=cursor)
    return {"items": [_run_json(r) for r in runs], "next_cursor": next_cursor}


@pages_router.get("/monitoring", response_class=HTMLResponse)
def overview(request: Request):
    store = _store(request)
    rows = []
    for c in _checks(request):
        last, _ = store.list_runs(c["name"], limit=1)
        definition = _definition(request, c["name"])
        rows.append({
            "check": c,
            "summary": store.summary(c["name"]),
            "uptime": store.uptime(c["name"], buckets=24),
            "failing_target": failing_target(definition, last[0]) if last else None,
        })
    return _render(request, "monitoring/index.html", {
        "rows": rows, "alarming": _alarming(request),
        "artifacts": store.current_artifact_usage(),
    })


@pages_router.get("/monitoring/checks/{name}", response_class=HTMLResponse)
def check_page(request: Request, name: str, cursor: str | None = None):
    check = _require_check(request, name)
    store = _store(request)
    hourly = store.uptime(name, buckets=24)
    daily = store.uptime(name, buckets=30, bucket=timedelta(days=1))
    runs, next_cursor = store.list_runs(name, limit=50, cursor=cursor)
    return _render(
        request,
        "monitoring/check.html",
        {
            "check": check,
            "summary": store.summary(name),
            "hourly": hourly,
            "daily": daily,
            "chart": Markup(latency_svg(hourly)),
            "runs": runs,
            "next_cursor": next_cursor,
            "alarming": _alarming(request),
            "target": check_target(_definition(request, name)),
            "failing_targets": {r.run_id: failing_target(_definition(request, name), r)
                                for r in runs},
        },
    )


@pages_router.get("/monitoring/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: str):
    run = _store(request).get_run(run_id)
    if run is None:
        raise NotFound(f"There is no monitoring run {run_id!r}; it may be past retention.")
    slowest = max([s.duration_ms for s in run.steps] + [1.0])
    files = [Path(p).name for p in run.artifacts]
    return _render(
        request,
        "monitoring/run.html",
        {
            "run": run,
            "failing_target": failing_target(_definition(request, run.check), run),
            "slowest": slowest,
            "screenshots": [f for f in files if f.endswith(".png")],
            "others": [f for f in files if not f.endswith(".png")],
        },
    )


@pages_router.get("/monitoring/artifacts/{run_id}/{filename}")
def artifact(request: Request, run_id: str, filename: str):
    """Only files the run recorded, and only inside the artifacts directory: the names come
    from the URL, so neither `..` nor a path the store doesn't list can get through."""
    store = _store(request)
    run = store.get_run(run_id)
    missing = NotFound("There is no such artifact.")
    if run is None or store.artifacts_dir is None:
        raise missing
    root = store.artifacts_dir.resolve()
    for recorded in run.artifacts:
        path = Path(recorded).resolve()
        if path.name == filename and path.is_relative_to(root) and path.is_file():
            media = (
                "image/png"
                if filename.endswith(".png")
                else "application/zip"
                if filename.endswith(".zip")
                else "application/octet-stream"
            )
            return FileResponse(
                path, media_type=media, filename=filename if media != "image/png" else None
            )
    raise missing
