"""Logins, lockouts and logouts in the audit log, and the audit page for platform admins."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from humangov.domain import audit
from tests.audit_rows import assert_no_secret, audit_rows
from tests.web.conftest import PASSWORD, csrf_of, log_in, web_app


@pytest.fixture
def browser(web_container):
    with TestClient(web_app(web_container), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def database(web_container):
    return web_container.settings.database_path


def last(database, kind: str) -> dict:
    return audit_rows(database, kind)[-1]


def test_the_users_added_at_setup_are_in_the_log(database):
    added = audit_rows(database, audit.USER_ADDED)
    assert {(r["subject"], r["state"], r["actor"]) for r in added} >= {
        ("admin@example.gov", None, "system"), ("ca.editor@example.gov", "CA", "system")}
    assert_no_secret(database, PASSWORD)


def test_a_login_and_a_logout_are_recorded_with_who_and_from_where(browser, database):
    assert log_in(browser, "ca.editor@example.gov").status_code == 303
    cookie = browser.cookies["humangov_session"]
    login = last(database, audit.LOGIN_SUCCEEDED)
    assert (login["actor"], login["subject"], login["state"], login["client"]) == (
        "user:ca.editor@example.gov", "ca.editor@example.gov", "CA", "testclient")
    r = browser.post("/logout", data={"csrf_token": csrf_of(browser.get("/states/CA").text)},
                     follow_redirects=False)
    assert r.status_code == 303
    ended = last(database, audit.SESSION_ENDED)
    assert (ended["actor"], ended["subject"], ended["client"]) == (
        "user:ca.editor@example.gov", "ca.editor@example.gov", "testclient")
    assert '"reason":"logout"' in ended["detail"]
    assert_no_secret(database, PASSWORD, cookie)


def test_a_failed_login_names_the_account_but_never_what_was_typed(browser, database):
    before = len(audit_rows(database, audit.LOGIN_FAILED))
    log_in(browser, "tx.editor@example.gov", "wrong password 1")
    # a password typed into the email field names no account, and is not kept
    log_in(browser, "my secret passphrase", "wrong password 2")
    named, unnamed = audit_rows(database, audit.LOGIN_FAILED)[before:]
    assert (named["actor"], named["subject"], named["state"], named["client"]) == (
        "anonymous", "tx.editor@example.gov", "TX", "testclient")
    assert (unnamed["subject"], unnamed["client"]) == (None, "testclient")
    assert_no_secret(database, "wrong password 1", "wrong password 2", "my secret passphrase")


def test_a_lockout_is_recorded_once_when_it_starts(browser, database, web_container):
    # GIVEN the limit of 3 failures a minute (web_container) reached for an account of its own
    # (the other tests' users log in from the same address)
    web_container.accounts.add_user("locked@example.gov", PASSWORD, "viewer", "CA")
    for n in range(3):
        log_in(browser, "locked@example.gov", f"not it {n}")
    [throttled] = [r for r in audit_rows(database, audit.LOGIN_THROTTLED)
                   if r["subject"] == "locked@example.gov"]
    assert (throttled["actor"], throttled["client"]) == ("anonymous", "testclient")
    # WHEN the client keeps trying while locked out
    assert log_in(browser, "locked@example.gov", "not it 4").status_code == 429
    # THEN no refused try adds an event: refusals are free for a client to send
    assert len([r for r in audit_rows(database, audit.LOGIN_THROTTLED)
                if r["subject"] == "locked@example.gov"]) == 1


def test_platform_admins_read_the_audit_page_newest_first_with_filters(users, database):
    page = users.admin.get("/audit")
    assert page.status_code == 200
    assert 'href="/audit"' in page.text and "login.succeeded" in page.text
    # the filter shows one kind only
    only = users.admin.get("/audit", params={"kind": audit.USER_ADDED}).text
    assert "tx.editor@example.gov" in only and "<td>login.succeeded</td>" not in only
    assert "<td>user.added</td>" in users.admin.get("/audit", params={"state": "tx"}).text


def test_the_audit_page_pages_back_to_older_events(users, web_container):
    for n in range(55):
        web_container.audit.record(audit.LOGIN_FAILED, "anonymous", state="TX",
                                   subject=f"paged{n}@example.gov")
    first = users.admin.get("/audit", params={"kind": audit.LOGIN_FAILED, "state": "TX"}).text
    assert "paged54@example.gov" in first and "paged4@example.gov" not in first
    link = first.split('href="?')[1].split('"')[0].replace("&amp;", "&")
    older = users.admin.get(f"/audit?{link}").text
    assert "paged4@example.gov" in older and "paged54@example.gov" not in older


@pytest.mark.parametrize("who", ["ca_editor", "ca_viewer", "tx_editor"])
def test_others_may_not_read_the_audit_page_nor_see_it_in_the_nav(users, who):
    client = getattr(users, who)
    assert client.get("/audit").status_code == 403
    assert 'href="/audit"' not in client.get("/states").text


def test_the_audit_page_asks_an_anonymous_visitor_to_log_in(users):
    r = users.nobody.get("/audit", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/audit"
