"""The monitoring API and pages, the engine end to end against a local target, metrics, and
the `monitor` command's handling of a bad file."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from typer.testing import CliRunner

from humangov.cli import app as humangov_cli
from humangov.monitoring.config import parse_config
from humangov.monitoring.engine import MonitoringEngine
from humangov.monitoring.metrics import CheckMetrics
from humangov.monitoring.results import RunResult, StepResult, utcnow
from humangov.monitoring.sqlite_store import SqliteRunStore
from humangov.monitoring.store import artifacts_dir_for
from humangov.web import errors
from humangov.web.routes.monitoring import api_router, pages_router
from tests.monitoring.servers import refused_url, serve


def web(store, config=None) -> TestClient:
    app = FastAPI()
    errors.install(app)
    app.include_router(api_router)
    app.include_router(pages_router)
    app.state.monitoring_store = store
    app.state.monitoring_config = config
    return TestClient(app)


@pytest.fixture
def filled(tmp_path):
    store = SqliteRunStore(tmp_path / "monitoring.db", artifacts_dir=artifacts_dir_for(tmp_path))
    run_dir = artifacts_dir_for(tmp_path) / "browser" / "0000000000001-aaaaaaaa"
    run_dir.mkdir(parents=True)
    (run_dir / "01-login.png").write_bytes(b"\x89PNG fake")
    (tmp_path / "secret.txt").write_text("not for you")
    now = utcnow()
    steps = (StepResult("login", "ok", 400.0),
             StepResult("open-state", "fail", 412.0, "answered 500"))
    store.save(RunResult(check="browser", check_type="browser", status="fail",
                         started_at=now - timedelta(minutes=5), duration_ms=812.0, steps=steps,
                         error="open-state: answered 500", failing_step="open-state",
                         artifacts=(str(run_dir / "01-login.png"),),
                         run_id="0000000000001-aaaaaaaa"))
    for i in range(3):
        at = now - timedelta(minutes=i)
        store.save(RunResult(check="readyz", check_type="heartbeat", status="ok", started_at=at,
                             duration_ms=5.0 + i,
                             run_id=f"{int(at.timestamp()*1000):013d}-{i:08x}"))
    config = parse_config({"checks": [
        {"name": "readyz", "type": "heartbeat", "url": "http://x/readyz", "state": "CA"},
        {"name": "browser", "type": "browser", "base_url": "http://x", "email": "a@b.c"},
        {"name": "never-ran", "type": "heartbeat", "url": "http://x/"},
    ]})
    return store, config, tmp_path


def test_the_checks_api_lists_every_check_with_status_and_24h_success(filled):
    store, config, _ = filled
    body = web(store, config).get("/api/v1/monitoring/checks").json()
    by_name = {c["name"]: c for c in body}
    assert by_name["readyz"] | {"last_run_at": None} == {
        "name": "readyz", "type": "heartbeat", "state": "CA", "last_status": "ok",
        "last_run_at": None, "success_24h": 100.0}
    assert by_name["browser"]["last_status"] == "fail" and by_name["browser"]["success_24h"] == 0.0
    assert by_name["never-ran"]["last_status"] is None


def test_the_runs_api_pages_newest_first_and_unknown_checks_are_404_problems(filled):
    store, config, _ = filled
    client = web(store, config)
    first = client.get("/api/v1/monitoring/checks/readyz/runs?limit=2").json()
    rest = client.get(
        f"/api/v1/monitoring/checks/readyz/runs?limit=2&cursor={first['next_cursor']}"
    ).json()
    assert [r["duration_ms"] for r in first["items"] + rest["items"]] == [5.0, 6.0, 7.0] and rest[
        "next_cursor"
    ] is None
    missing = client.get("/api/v1/monitoring/checks/nope/runs")
    assert (
        missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    )


def test_the_pages_show_status_uptime_chart_steps_and_screenshots(filled):
    store, config, _ = filled
    client = web(store, config)
    overview = client.get("/monitoring").text
    assert "Failing" in overview and 'class="uptime-bars"' in overview and "never-ran" in overview
    check = client.get("/monitoring/checks/browser").text
    assert "<svg" in check and "/monitoring/runs/0000000000001-aaaaaaaa" in check
    run = client.get("/monitoring/runs/0000000000001-aaaaaaaa").text
    assert "open-state" in run and "answered 500" in run
    assert "/monitoring/artifacts/0000000000001-aaaaaaaa/01-login.png" in run
    shot = client.get("/monitoring/artifacts/0000000000001-aaaaaaaa/01-login.png")
    assert shot.status_code == 200 and shot.content == b"\x89PNG fake"


@pytest.mark.parametrize("path", [
    "/monitoring/artifacts/0000000000001-aaaaaaaa/..%2F..%2F..%2F..%2Fsecret.txt",
    "/monitoring/artifacts/0000000000001-aaaaaaaa/secret.txt",
    "/monitoring/artifacts/nope/01-login.png",
])
def test_artifact_urls_serve_only_files_the_run_recorded(filled, path):
    store, config, _ = filled
    response = web(store, config).get(path)
    assert response.status_code == 404 and "not for you" not in response.text


async def test_the_engine_runs_checks_stores_results_and_counts_them_in_metrics(tmp_path):
    target = Starlette(routes=[Route("/readyz", lambda r: PlainTextResponse("ready"))])
    registry = CollectorRegistry()
    seen = []
    both_ran = asyncio.Event()

    async def subscriber(check, result):
        seen.append(result)
        if {r.check for r in seen} == {"up", "down"}:
            both_ran.set()

    with serve(target) as base:
        config = parse_config({"checks": [
            {"name": "up", "type": "heartbeat", "url": f"{base}/readyz",
             "interval": "1s", "timeout": "1s"},
            {"name": "down", "type": "heartbeat", "url": refused_url(),
             "interval": "1s", "timeout": "1s"},
        ]})
        artifacts = artifacts_dir_for(tmp_path)
        store = SqliteRunStore(tmp_path / "monitoring.db", artifacts_dir=artifacts)
        engine = MonitoringEngine(
            config, store, artifacts_dir_for(tmp_path), [subscriber], metrics=CheckMetrics(registry)
        )
        await engine.start()
        try:
            async with asyncio.timeout(10):
                await both_ran.wait()
        finally:
            await engine.stop()
    assert store.summary("up").last_status == "ok" and store.summary("down").last_status == "fail"
    assert {r.check for r in seen} == {"up", "down"}
    text = generate_latest(registry).decode()
    assert 'humangov_check_runs_total{check="down",status="fail"}' in text
    assert 'humangov_check_duration_seconds_count{check="up"}' in text


def test_monitor_refuses_a_bad_file_with_field_paths_and_exit_code_2(tmp_path):
    bad = tmp_path / "m.yaml"
    bad.write_text("checks:\n  - {name: a, type: heartbeat, url: 'http://x/', interval: 100ms}\n")
    result = CliRunner().invoke(
        humangov_cli, ["monitor", "--config", str(bad), "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "checks[0].interval: must be at least 1s" in result.output
    assert "Traceback" not in result.output


def test_monitor_once_runs_every_check_and_exits_nonzero_on_failure(tmp_path):
    good = tmp_path / "m.yaml"
    good.write_text(f"checks:\n  - {{name: gone, type: heartbeat, url: '{refused_url()}', "
                    "interval: 5s, timeout: 1s}\n")
    result = CliRunner().invoke(
        humangov_cli, ["monitor", "--config", str(good), "--data-dir", str(tmp_path), "--once"]
    )
    assert result.exit_code == 1 and "connection refused" in result.output
