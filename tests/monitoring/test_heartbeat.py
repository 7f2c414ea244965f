"""Heartbeat checks against a real local server: success and each way they fail."""

from __future__ import annotations

import asyncio
import threading

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from tests.monitoring.helpers import one_check, run
from tests.monitoring.servers import refused_url, serve


async def slow(request):
    await asyncio.sleep(float(request.query_params["s"]))
    return PlainTextResponse("late")


# /held answers only once the tests are over: a run against it can end only by its timeout.
RELEASED = threading.Event()


async def held(request):
    await asyncio.to_thread(RELEASED.wait)
    return PlainTextResponse("too late")


def app():
    return Starlette(routes=[
        Route("/ok", lambda r: PlainTextResponse("all systems go, build 42")),
        Route("/down", lambda r: PlainTextResponse("broken", status_code=503)),
        Route("/json", lambda r: JSONResponse({"status": "ok", "db": {"ok": False}})),
        Route("/slow", slow),
        Route("/held", held),
    ])


@pytest.fixture(scope="module")
def base():
    with serve(app()) as url:
        yield url
        RELEASED.set()


def hb(url, **kw):
    return one_check(name="hb", type="heartbeat", url=url, interval="5s",
                     timeout=kw.pop("timeout", "2s"), **kw)


async def test_a_healthy_endpoint_passes_every_assertion(base, clients):
    expect = {"status": 200, "keyword": "systems go", "regex": r"build \d+", "max_latency": "2s"}
    result = await run(hb(f"{base}/ok", expect=expect), clients)
    assert result.status == "ok", result.error
    assert [s.name for s in result.steps] == ["request"] and result.steps[0].status == "ok"
    assert result.duration_ms > 0 and result.started_at.tzinfo is not None


@pytest.mark.parametrize("expect, problem", [
    ({"status": 200}, "status 503, expected 200"),
])
async def test_a_wrong_status_fails_naming_the_status(base, clients, expect, problem):
    result = await run(hb(f"{base}/down", expect=expect), clients)
    assert result.status == "fail" and result.error == problem and result.failing_step == "request"


@pytest.mark.parametrize("path, expect, problem", [
    ("/ok", {"keyword": "maintenance"}, "keyword 'maintenance' not found"),
    ("/ok", {"regex": r"build [a-z]+"}, "regex 'build [a-z]+' did not match"),
    # An endpoint that answers after 50 ms is surely over 1 ms (a bare one may not be).
    ("/slow?s=0.05", {"max_latency": "1ms"}, "exceeds max_latency 1ms"),
])
async def test_a_failing_body_or_latency_assertion_fails_the_run(
    base, clients, path, expect, problem,
):
    result = await run(hb(f"{base}{path}", expect=expect), clients)
    assert result.status == "fail" and problem in result.error


async def test_a_json_path_must_hold_the_expected_value(base, clients):
    good = await run(hb(f"{base}/json", expect={"json": {"$.status": "ok"}}), clients)
    bad = await run(hb(f"{base}/json", expect={"json": {"$.db.ok": True}}), clients)
    missing = await run(hb(f"{base}/json", expect={"json": {"$.nope": 1}}), clients)
    assert good.status == "ok", good.error
    assert bad.status == "fail" and "JSON path $.db.ok is false, expected true" in bad.error
    assert missing.status == "fail" and "JSON path $.nope not found" in missing.error


async def test_a_slow_endpoint_fails_at_the_timeout(base, clients):
    # The endpoint never answers while the test runs: the run returning at all shows the
    # timeout cut it off, rather than judging a late answer.
    result = await run(hb(f"{base}/held", timeout="300ms"), clients)
    assert result.status == "fail" and "timed out after 300ms" in result.error


async def test_connection_refused_is_a_failure_with_the_reason(clients):
    result = await run(hb(refused_url()), clients)
    assert result.status == "fail" and result.error == "connection refused"


async def test_a_group_fails_naming_only_the_failing_members(base, clients):
    check = one_check(name="homes", type="heartbeat", interval="5s", timeout="2s",
                      urls={"CA": f"{base}/ok", "TX": f"{base}/down", "NY": refused_url()})
    result = await run(check, clients)
    assert result.status == "fail"
    assert result.error.startswith("2 of 3 failing: NY, TX")
    assert {s.name: s.status for s in result.steps} == {"CA": "ok", "TX": "fail", "NY": "fail"}


async def test_keep_alive_connections_are_reused_across_runs(base, clients):
    check = hb(f"{base}/ok")
    for _ in range(3):
        assert (await run(check, clients)).status == "ok"
    assert sum(len(v) for v in clients.raw._idle.values()) == 1
