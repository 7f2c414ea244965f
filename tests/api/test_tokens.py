"""The token lifecycle through the API: create, list, revoke, expiry and last use; who may
manage which token. Tokens act for users here, so the callers are users' tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from humangov.bootstrap import bootstrap
from humangov.web.app import create_app

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
EMPLOYEES = "/api/v1/states/CA/employees"


class FakeClock:
    def __init__(self) -> None:
        self.t = T0

    def now(self) -> datetime:
        return self.t


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def container(settings, clock):
    c = bootstrap(settings, clock=clock)
    c.personnel.add_state("CA")
    yield c
    c.close()


@pytest.fixture
def client(container):
    with TestClient(create_app(container), raise_server_exceptions=False) as c:
        yield c


def bearer(plain: str) -> dict:
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def people(container):
    """A bearer header per user: an admin, two CA editors, a CA viewer (tokens they own)."""
    out = {}
    for email, role, state in (("root@example.gov", "admin", None),
                               ("ed@example.gov", "editor", "CA"),
                               ("ann@example.gov", "editor", "CA"),
                               ("vi@example.gov", "viewer", "CA")):
        user = container.accounts.add_user(email, PASSWORD, role, state)
        principal = container.accounts.principal_for_user(user.id)
        plain, _ = container.accounts.create_token_for(principal, f"{email} key")
        out[email.split("@")[0]] = bearer(plain)
    return out


def test_a_user_creates_a_token_with_their_own_role_and_sees_it_once(client, people):
    r = client.post("/api/v1/tokens", json={"name": "ci"}, headers=people["ed"])
    assert r.status_code == 201, r.text
    created = r.json()
    assert (created["role"], created["state"], created["expires_at"]) == ("editor", "CA", None)
    assert created["token"].startswith("hg_")
    assert client.get(EMPLOYEES, headers=bearer(created["token"])).status_code == 200
    listed = client.get("/api/v1/tokens", headers=people["ed"]).json()
    assert {t["name"] for t in listed} == {"ed@example.gov key", "ci"}
    assert created["token"] not in client.get("/api/v1/tokens", headers=people["ed"]).text
    assert all("token" not in t for t in listed)


def test_users_see_their_own_tokens_and_admins_all(client, people):
    mine = client.get("/api/v1/tokens", headers=people["ann"]).json()
    assert [t["name"] for t in mine] == ["ann@example.gov key"]
    everyone = client.get("/api/v1/tokens", headers=people["root"]).json()
    assert len(everyone) == 4


def test_a_user_cannot_revoke_someone_elses_token_but_an_admin_can(client, people):
    ann_id = client.get("/api/v1/tokens", headers=people["ann"]).json()[0]["id"]
    r = client.delete(f"/api/v1/tokens/{ann_id}", headers=people["ed"])
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert client.get(EMPLOYEES, headers=people["ann"]).status_code == 200
    assert client.delete(f"/api/v1/tokens/{ann_id}", headers=people["root"]).status_code == 204
    assert client.get(EMPLOYEES, headers=people["ann"]).status_code == 401


def test_a_revoked_token_is_refused_on_its_very_next_request(client, people):
    made = client.post("/api/v1/tokens", json={"name": "hot"}, headers=people["ed"]).json()
    for _ in range(3):  # in use, as a busy client would
        assert client.get(EMPLOYEES, headers=bearer(made["token"])).status_code == 200
    assert client.delete(f"/api/v1/tokens/{made['id']}", headers=people["ed"]).status_code == 204
    r = client.get(EMPLOYEES, headers=bearer(made["token"]))
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert client.delete(f"/api/v1/tokens/{made['id']}", headers=people["ed"]).status_code == 404


def test_a_token_stops_at_its_expiry(client, people, clock):
    made = client.post("/api/v1/tokens", json={"name": "short", "expires_in_days": 1},
                       headers=people["ed"]).json()
    assert made["expires_at"] == "2026-12-02T09:00:00Z"
    clock.t = T0 + timedelta(hours=23, minutes=59, seconds=59)
    assert client.get(EMPLOYEES, headers=bearer(made["token"])).status_code == 200
    clock.t = T0 + timedelta(days=1)
    assert client.get(EMPLOYEES, headers=bearer(made["token"])).status_code == 401
    # still listed (so it can be seen and cleaned up), with its expiry
    listed = client.get("/api/v1/tokens", headers=people["ed"]).json()
    assert [t["expires_at"] for t in listed if t["id"] == made["id"]] == [made["expires_at"]]


@pytest.mark.parametrize("body", [
    {"name": "old", "expires_in_days": 0},
    {"name": "bell\a"},
    {"name": "\u202eevil"},
    {"name": "x" * 101},
])
def test_a_bad_token_request_is_refused_with_422(client, people, body):
    r = client.post("/api/v1/tokens", json=body, headers=people["ed"])
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/tokens", headers=people["ed"]).json()[0]["name"] == (
        "ed@example.gov key")
    assert len(client.get("/api/v1/tokens", headers=people["ed"]).json()) == 1


def test_last_used_is_recorded_to_the_minute(client, people, clock):
    made = client.post("/api/v1/tokens", json={"name": "use"}, headers=people["ed"]).json()
    assert made["last_used_at"] is None

    def last_used():
        listed = client.get("/api/v1/tokens", headers=people["root"]).json()
        return next(t["last_used_at"] for t in listed if t["id"] == made["id"])

    client.get(EMPLOYEES, headers=bearer(made["token"]))
    assert last_used() == "2026-12-01T09:00:00Z"
    clock.t = T0 + timedelta(seconds=59)
    client.get(EMPLOYEES, headers=bearer(made["token"]))
    assert last_used() == "2026-12-01T09:00:00Z"  # not a write per request
    clock.t = T0 + timedelta(seconds=60)
    client.get(EMPLOYEES, headers=bearer(made["token"]))
    assert last_used() == "2026-12-01T09:01:00Z"


def test_a_token_carries_its_creators_role_and_state(client, people):
    made = client.post("/api/v1/tokens", json={"name": "v", "role": "admin"},
                       headers=people["vi"]).json()
    assert (made["role"], made["state"]) == ("viewer", "CA")
    r = client.post(EMPLOYEES, data={"first_name": "A"}, headers=bearer(made["token"]))
    assert r.status_code == 403


def test_without_credentials_the_token_api_answers_401(client):
    assert client.get("/api/v1/tokens").status_code == 401
    assert client.post("/api/v1/tokens", json={"name": "x"}).status_code == 401
    assert client.delete("/api/v1/tokens/abc").status_code == 401


def test_a_token_in_use_is_looked_up_again_only_after_the_database_changes(
        client, people, container, clock, monkeypatch):
    lookups = []
    find = container.account_store.find_token
    monkeypatch.setattr(container.account_store, "find_token",
                        lambda token_hash: lookups.append(token_hash) or find(token_hash))
    for _ in range(4):
        assert client.get(EMPLOYEES, headers=people["vi"]).status_code == 200
    # The first use wrote (its audit entry, its last use), so the second looked it up again;
    # then nothing changed, and the rest were answered from memory.
    assert len(lookups) == 2
    clock.t = T0 + timedelta(minutes=1)  # its last use is due to be noted: looked up, touched
    assert client.get(EMPLOYEES, headers=people["vi"]).status_code == 200
    assert len(lookups) == 3
    vi = container.accounts.find_user("vi@example.gov")
    container.accounts.set_disabled(vi.id, True)
    assert client.get(EMPLOYEES, headers=people["vi"]).status_code == 401  # at once
