"""API flows and the lifecycle canary against real local servers."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.monitoring.helpers import one_check, run
from tests.monitoring.servers import refused_url, serve

TOKEN = "canary-token-abc123"


class FakeHumanGov:
    """Just enough of HumanGov's API: employees with documents, and an erasure ledger that a
    background 'worker' fills `erase_after` seconds after a delete (never, when None)."""

    def __init__(self, erase_after: float | None = 0.1, download_corrupt: bool = False,
                 fail_read: bool = False):
        self.employees: dict[str, dict] = {}
        self.receipts: list[dict] = []
        self.erase_after = erase_after
        self.download_corrupt, self.fail_read = download_corrupt, fail_read
        self.synthetic_flags: list[bool] = []
        self.deleted: list[str] = []

    def app(self) -> Starlette:
        async def create(request):
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                return JSONResponse({"detail": "bad token"}, 401)
            form = await request.form()
            data = await form["document"].read()
            eid, did = str(uuid.uuid4()), str(uuid.uuid4())
            self.synthetic_flags.append(request.headers.get("x-humangov-synthetic") == "1"
                                        and form.get("synthetic") == "true")
            self.employees[eid] = {"id": eid, "last_name": form["last_name"], "pdf": data,
                                   "doc": did}
            document = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            return JSONResponse(
                {"id": eid, "last_name": form["last_name"], "document": document}, 201)

        async def one(request):
            e = self.employees.get(request.path_params["eid"])
            if e is None:
                return JSONResponse({"detail": "not found"}, 404)
            if request.method == "DELETE":
                del self.employees[e["id"]]
                self.deleted.append(e["id"])
                if self.erase_after is not None:
                    receipt = {
                        "state": "CA", "key": f"{e['id']}/{e['doc']}.pdf",
                        "reason": "record-deleted", "change_id": "c1",
                        "requested_at": datetime.now(UTC).isoformat(),
                        "erased_at": datetime.now(UTC).isoformat(), "result": "erased"}
                    asyncio.get_running_loop().call_later(
                        self.erase_after, self.receipts.insert, 0, receipt)
                return Response(status_code=204)
            if self.fail_read:
                return JSONResponse({"detail": "database is on fire"}, 500)
            return JSONResponse({"id": e["id"], "last_name": e["last_name"]})

        async def document(request):
            e = self.employees[request.path_params["eid"]]
            return Response(
                e["pdf"] + (b"x" if self.download_corrupt else b""), media_type="application/pdf"
            )

        async def erasures(request):
            return JSONResponse({"state": "CA", "items": self.receipts, "next_cursor": None})

        return Starlette(routes=[
            Route("/api/v1/states/CA/employees", create, methods=["POST"]),
            Route("/api/v1/states/CA/employees/{eid}", one, methods=["GET", "DELETE"]),
            Route("/api/v1/states/CA/employees/{eid}/document", document),
            Route("/api/v1/states/CA/erasures", erasures),
        ])


def lifecycle(base, **kw):
    return one_check(name="lc", type="lifecycle", base_url=base, state="CA",
                     token_env="TEST_CANARY_TOKEN", interval="1m", timeout=kw.pop("timeout", "10s"),
                     erasure_sla=kw.pop("erasure_sla", "2s"), poll_interval="50ms", **kw)


@pytest.fixture(autouse=True)
def token(monkeypatch):
    monkeypatch.setenv("TEST_CANARY_TOKEN", TOKEN)


async def test_the_lifecycle_canary_proves_create_read_download_delete_and_erasure(clients):
    fake = FakeHumanGov()
    with serve(fake.app()) as base:
        result = await run(lifecycle(base), clients)
    assert result.status == "ok", result.error
    assert [s.name for s in result.steps] == [
        "token", "create", "read", "download", "delete", "erasure"]
    assert fake.synthetic_flags == [True] and fake.employees == {}
    assert result.synthetic_ids == (f"CA/{fake.deleted[0]}",)


async def test_a_missing_erasure_receipt_fails_the_sla_step(clients):
    fake = FakeHumanGov(erase_after=None)
    with serve(fake.app()) as base:
        result = await run(lifecycle(base, erasure_sla="300ms"), clients)
    assert result.status == "fail" and result.failing_step == "erasure"
    assert "no erasure receipt for the canary's document within the SLA of 300ms" in result.error


async def test_a_corrupted_download_fails_and_the_record_is_still_cleaned_up(clients):
    fake = FakeHumanGov(download_corrupt=True)
    with serve(fake.app()) as base:
        result = await run(lifecycle(base), clients)
    assert (
        result.status == "fail" and result.failing_step == "download" and "sha256" in result.error
    )
    assert fake.employees == {}  # cleaned up in `finally`


async def test_a_failing_read_reports_the_servers_detail_and_cleans_up(clients):
    fake = FakeHumanGov(fail_read=True)
    with serve(fake.app()) as base:
        result = await run(lifecycle(base), clients)
    assert result.failing_step == "read"
    assert result.error == "GET returned 500, expected 200: database is on fire"
    assert fake.employees == {}


async def test_a_missing_token_fails_without_leaking_and_creates_nothing(clients, monkeypatch):
    monkeypatch.delenv("TEST_CANARY_TOKEN")
    fake = FakeHumanGov()
    with serve(fake.app()) as base:
        result = await run(lifecycle(base), clients)
    assert result.failing_step == "token" and "TEST_CANARY_TOKEN is not set" in result.error
    assert fake.synthetic_flags == []


async def test_a_wrong_token_is_reported_without_echoing_it(clients, monkeypatch):
    monkeypatch.setenv("TEST_CANARY_TOKEN", "wrong-secret-value")
    with serve(FakeHumanGov().app()) as base:
        result = await run(lifecycle(base), clients)
    assert result.failing_step == "create" and "401" in result.error
    assert "wrong-secret-value" not in repr(result)


async def test_the_lifecycle_canary_fails_on_connection_refused(clients):
    result = await run(lifecycle(refused_url().rstrip("/")), clients)
    assert result.failing_step == "create" and result.error == "connection refused"


def api_app():
    async def login(request):
        body = await request.json()
        return JSONResponse({"session": {"token": f"t-{body['user']}"}})

    async def me(request):
        if request.headers.get("authorization") != "Bearer t-alice":
            return JSONResponse({"detail": "no"}, 401)
        return JSONResponse({"name": "alice", "roles": ["admin"]})

    return Starlette(routes=[Route("/login", login, methods=["POST"]), Route("/me", me)])


def api_check(base, me_expect):
    return one_check(name="flow", type="api", interval="1m", timeout="5s",
                     variables={"user": "alice"}, steps=[
        {"name": "login", "method": "POST", "url": f"{base}/login", "json": {"user": "${user}"},
         "capture": {"token": "$.session.token"}},
        {"name": "me", "url": f"{base}/me", "headers": {"Authorization": "Bearer ${token}"},
         "expect": me_expect},
    ])


async def test_an_api_flow_passes_captured_values_to_later_steps(clients):
    with serve(api_app()) as base:
        result = await run(
            api_check(base, {"status": 200, "json": {"$.roles[0]": "admin"}}), clients
        )
    assert result.status == "ok", result.error
    assert [(s.name, s.status) for s in result.steps] == [("login", "ok"), ("me", "ok")]


async def test_an_api_flow_stops_at_the_first_failing_step(clients):
    with serve(api_app()) as base:
        result = await run(api_check(base, {"status": 200, "keyword": "superuser"}), clients)
    assert result.failing_step == "me" and "keyword 'superuser' not found" in result.error


async def test_an_api_flow_reports_a_wrong_status_and_an_unreachable_server(clients):
    with serve(api_app()) as base:
        wrong = await run(api_check(base, {"status": 204}), clients)
    refused = await run(api_check(refused_url().rstrip("/"), {"status": 200}), clients)
    assert wrong.error == "status 200, expected 204"
    assert refused.failing_step == "login" and refused.error == "connection refused"
