"""Server-side sessions: logout, timeouts, sign out everywhere, and the /account page's tokens.

The app runs over a real SQLite file with a clock the tests move (no sleeps)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from humangov.accounts.service import hash_token
from humangov.bootstrap import bootstrap
from humangov.config import Settings
from humangov.web.deps import SESSION_COOKIE
from tests.web.conftest import PASSWORD, csrf_of, log_in, web_app

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.t = T0

    def now(self) -> datetime:
        return self.t

    def advance(self, **delta: float) -> None:
        self.t += timedelta(**delta)


@pytest.fixture(scope="module")
def clock():
    return FakeClock()


@pytest.fixture(scope="module")
def container(tmp_path_factory, clock):
    c = bootstrap(Settings(environment="test", data_dir=tmp_path_factory.mktemp("sessions"),
                           monitoring=False, base_url="https://humangov.example.gov"),
                  clock=clock)
    c.personnel.add_state("CA")
    c.accounts.add_user("ed@example.gov", PASSWORD, "editor", "CA")
    c.accounts.add_user("vi@example.gov", PASSWORD, "viewer", "CA")
    c.accounts.add_user("root@example.gov", PASSWORD, "admin")
    yield c
    c.close()


@pytest.fixture(scope="module")
def app(container):
    return web_app(container)


@pytest.fixture
def browser(app):
    # The cookie is Secure (the base URL is https), so the client speaks https to keep it.
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        yield c


def logged_in(app, email="ed@example.gov") -> TestClient:
    c = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    assert log_in(c, email).status_code == 303
    return c


def can_read(client: TestClient) -> bool:
    r = client.get("/states/CA", follow_redirects=False)
    assert r.status_code in (200, 303), r.text
    return r.status_code == 200


def post_form(client: TestClient, page: str, action: str, **data):
    data.setdefault("csrf_token", csrf_of(client.get(page).text))
    return client.post(action, data=data, follow_redirects=False)


def test_the_cookie_is_a_random_id_the_server_keeps_only_the_hash_of(browser, container):
    r = log_in(browser, "ed@example.gov")
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert all(flag in cookie.lower() for flag in ("httponly", "samesite=lax", "secure"))
    plain = browser.cookies[SESSION_COOKIE]
    stored = container.account_store.find_session(hash_token(plain))
    assert stored is not None and stored.created_at == container.clock.now()
    assert container.account_store.find_session(plain) is None


def test_pages_do_not_set_the_cookie_again(browser):
    log_in(browser, "ed@example.gov")
    for _ in range(3):
        r = browser.get("/states/CA")
        assert r.status_code == 200 and "set-cookie" not in r.headers


def test_a_cookie_copied_before_logout_no_longer_works(app, browser):
    log_in(browser, "ed@example.gov")
    copied = browser.cookies[SESSION_COOKIE]
    assert post_form(browser, "/states/CA", "/logout").headers["location"] == "/login"
    with TestClient(app, base_url="https://testserver") as thief:
        thief.cookies.set(SESSION_COOKIE, copied)
        assert not can_read(thief)
        assert thief.get("/api/v1/states/CA/employees").status_code == 401


def test_an_idle_session_ends_after_the_idle_timeout(app, clock):
    quiet, busy = logged_in(app), logged_in(app)
    for _ in range(4):  # busy keeps working, ten minutes apart; quiet does nothing
        clock.advance(minutes=10)
        assert can_read(busy)
    assert not can_read(quiet)
    assert can_read(busy)


def test_a_session_ends_after_its_lifetime_however_busy(app, clock):
    client = logged_in(app)
    for _ in range(11 * 6 + 5):  # a request every ten minutes for 11 h 50
        clock.advance(minutes=10)
        assert can_read(client)
    clock.advance(minutes=10)
    assert not can_read(client)


def test_last_seen_is_written_at_most_once_a_minute(app, clock, container):
    client = logged_in(app)
    id_hash = hash_token(client.cookies[SESSION_COOKIE])
    started = container.account_store.find_session(id_hash).last_seen_at
    clock.advance(seconds=59)
    assert can_read(client)
    assert container.account_store.find_session(id_hash).last_seen_at == started
    clock.advance(seconds=1)
    assert can_read(client)
    assert container.account_store.find_session(id_hash).last_seen_at == clock.now()


def test_sign_out_everywhere_ends_every_session_of_the_user_only(app):
    here, there, someone_else = logged_in(app), logged_in(app), logged_in(app, "vi@example.gov")
    r = post_form(here, "/account", "/account/sign-out-everywhere")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert "You are signed out on every device." in here.get("/login").text
    assert (can_read(here), can_read(there), can_read(someone_else)) == (False, False, True)


def test_ending_a_users_sessions_logs_them_out(app, container):
    client = logged_in(app, "vi@example.gov")
    user = container.account_store.find_user("vi@example.gov")
    assert container.accounts.end_sessions(user.id) >= 1
    assert not can_read(client)


def test_api_writes_with_a_session_still_need_its_csrf_token(app):
    client = logged_in(app)
    body = {"name": "laptop"}
    assert client.post("/api/v1/tokens", json=body).status_code == 403
    token = csrf_of(client.get("/account").text)
    r = client.post("/api/v1/tokens", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 201, r.text


SECRET = re.compile(r'<code class="secret">(hg_[^<]+)</code>')


def test_the_account_page_creates_lists_and_revokes_your_tokens(app, container):
    client = logged_in(app)
    r = post_form(client, "/account", "/account/tokens", name="deploy", expires_days="30")
    assert r.status_code == 200
    plain = SECRET.search(r.text).group(1)
    assert client.get("/account").text.count(plain) == 0  # shown once
    page = client.get("/account").text
    assert "deploy" in page and plain not in page and plain[:12] not in page
    token = next(t for t in container.accounts.store.list_tokens() if t.name == "deploy")
    assert token.expires_at == container.clock.now() + timedelta(days=30)
    with TestClient(app) as api:
        bearer = {"Authorization": f"Bearer {plain}"}
        assert api.get("/api/v1/states/CA/employees", headers=bearer).status_code == 200
        # someone else cannot revoke it: to them it does not exist
        other = logged_in(app, "vi@example.gov")
        r = post_form(other, "/account", f"/account/tokens/{token.id}/revoke")
        assert r.status_code == 404
        assert api.get("/api/v1/states/CA/employees", headers=bearer).status_code == 200
        r = post_form(client, "/account", f"/account/tokens/{token.id}/revoke")
        assert r.status_code == 303
        assert "Token deploy revoked." in client.get("/account").text
        assert api.get("/api/v1/states/CA/employees", headers=bearer).status_code == 401


def test_a_bad_expiry_is_shown_on_the_form(app):
    client = logged_in(app)
    r = post_form(client, "/account", "/account/tokens", name="x", expires_days="soon")
    assert r.status_code == 422 and "whole number of days" in r.text
