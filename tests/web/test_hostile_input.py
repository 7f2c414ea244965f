"""Anonymous clients cannot grow the server's memory: oversized emails and tokens are refused
before any lookup, and the throttle and token cache keep fixed-size keys in bounded tables."""

from __future__ import annotations

import gc
import os

from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of, web_app

LARGE = 60 * 1024
MIB = 1024 * 1024


def resident_bytes() -> int:
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_a_thousand_unique_large_credentials_grow_memory_by_less_than_10_mib(container):
    with TestClient(web_app(container), raise_server_exceptions=False) as c:
        token = csrf_of(c.get("/login").text)

        def hostile(n: int) -> None:
            filler = f"{n:06d}".ljust(LARGE, "x")
            login = c.post("/login", follow_redirects=False, data={
                "email": f"{filler}@example.gov", "password": "a guess", "csrf_token": token})
            assert login.status_code in (400, 429), login.status_code
            api = c.get("/api/v1/states/CA/employees",
                        headers={"Authorization": f"Bearer hg_{filler}"})
            assert api.status_code == 401

        for n in range(100):  # warm up: imports, pools, first-use caches
            hostile(n)
        before = resident_bytes()
        for n in range(100, 1100):
            hostile(n)
        grown = resident_bytes() - before
    assert grown < 10 * MIB, f"resident memory grew by {grown / MIB:.1f} MiB"


def test_an_overlong_authorization_header_is_refused_with_a_clear_401(client):
    r = client.get("/api/v1/states/CA/employees", headers={"Authorization": "Bearer " + "x" * 201})
    assert r.status_code == 401
    assert "longer than any HumanGov token" in r.json()["detail"]
