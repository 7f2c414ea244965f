"""Logging in and out: sessions, safe redirects, CSRF and throttled failures."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import PDF
from tests.web.conftest import PASSWORD, csrf_of, log_in, web_app


@pytest.fixture(scope="module")
def app(web_container):
    return web_app(web_container)


@pytest.fixture
def browser(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_logging_in_opens_a_session_and_goes_to_the_state(browser):
    r = log_in(browser, "ca.editor@example.gov")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert browser.get("/", follow_redirects=False).headers["location"] == "/states/CA"


def test_logging_in_returns_to_the_page_asked_for(browser):
    page = browser.get("/login", params={"next": "/states/CA?q=x"})
    r = browser.post(
        "/login",
        follow_redirects=False,
        data={
            "email": "ca.editor@example.gov",
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "/states/CA?q=x",
        },
    )
    assert r.headers["location"] == "/states/CA?q=x"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
def test_logging_in_never_redirects_off_site(browser, target):
    page = browser.get("/login", params={"next": target})
    r = browser.post(
        "/login",
        follow_redirects=False,
        data={
            "email": "ca.editor@example.gov",
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": target,
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_the_csrf_token_changes_at_login(browser):
    before = csrf_of(browser.get("/login").text)
    log_in(browser, "ca.editor@example.gov")
    assert csrf_of(browser.get("/states/CA").text) != before


def test_a_wrong_password_shows_an_error_and_keeps_the_email(browser):
    r = log_in(browser, "ca.editor@example.gov", "wrong password!")
    assert r.status_code == 400
    assert (
        "The email or password is not right." in r.text
        and 'value="ca.editor@example.gov"' in r.text
    )
    assert browser.get("/states/CA", follow_redirects=False).status_code == 303  # still logged out


def test_login_without_a_csrf_token_is_refused(browser):
    r = browser.post(
        "/login",
        data={"email": "ca.editor@example.gov", "password": PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert browser.get("/states/CA", follow_redirects=False).status_code == 303


def client_at(app, address: str) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=(address, 50000))


def test_a_failing_client_must_wait_but_the_real_user_elsewhere_gets_in(app, web_container):
    # GIVEN the module's 3 free failures, used up by one client guessing one account
    web_container.accounts.add_user("throttled@example.gov", PASSWORD, "viewer", "CA")
    with client_at(app, "10.9.0.1") as guesser, client_at(app, "10.9.0.2") as user:
        for _ in range(3):
            assert log_in(guesser, "throttled@example.gov", "not the password").status_code \
                == 400
        # WHEN the guesser tries again, even with the right password
        r = log_in(guesser, "throttled@example.gov")
        # THEN it must wait, and is told how long
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert "Too many failed attempts. Wait" in r.text
        # AND the real user, from a client that has not been failing, logs in
        assert log_in(user, "throttled@example.gov").status_code == 303


def test_guesses_spread_over_clients_are_slowed_per_account(app, web_container):
    # GIVEN an account whose 3 free failures were used from several clients
    web_container.accounts.add_user("spread@example.gov", PASSWORD, "viewer", "CA")
    clients = [client_at(app, f"10.8.0.{n}") for n in range(4)]
    for c in clients[:3]:
        assert log_in(c, "spread@example.gov", "not the password").status_code == 400
    # WHEN a fourth client fails once (its first try is always checked), then tries again
    assert log_in(clients[3], "spread@example.gov", "not the password").status_code == 400
    r = log_in(clients[3], "spread@example.gov", "still not it")
    # THEN that next guess must wait for the account's delay
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0


def test_an_overlong_email_or_password_is_refused_before_any_lookup(app):
    with client_at(app, "10.7.0.1") as c:
        r = log_in(c, "a" * 255 + "@example.gov")
        assert r.status_code == 400 and "longer than any HumanGov account" in r.text
        assert log_in(c, "ca.viewer@example.gov", "x" * 1025).status_code == 400


def test_logging_out_ends_the_session(browser):
    log_in(browser, "admin@example.gov")
    page = browser.get("/states")
    r = browser.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert "You are logged out." in browser.get("/login").text
    assert (
        browser.get("/states", follow_redirects=False).headers["location"] == "/login?next=/states"
    )


def test_a_logged_in_user_visiting_the_login_page_goes_on(browser):
    log_in(browser, "admin@example.gov")
    assert browser.get("/login", follow_redirects=False).headers["location"] == "/"



def test_a_csrf_token_sent_as_a_file_is_refused_not_a_crash(browser):
    # GIVEN an editor's session and its form token, sent back as an uploaded file on the
    # add-employee form (a multipart form, which takes files)
    log_in(browser, "ca.editor@example.gov")
    token = csrf_of(browser.get("/states/CA/employees/new").text)
    before = browser.get("/api/v1/states/CA/employees").text
    r = browser.post("/states/CA/employees/new", follow_redirects=False,
                     data={"first_name": "Ada", "last_name": "Lovelace", "role": "Analyst",
                           "salary": "1000"},
                     files={"csrf_token": ("token.txt", token.encode(), "text/plain"),
                            "document": ("id.pdf", PDF, "application/pdf")})
    # THEN it is refused as a forged form, and nothing is added
    assert r.status_code == 403
    assert browser.get("/api/v1/states/CA/employees").text == before
