"""The Users page: a state admin manages its state's users with forms (no JavaScript), and a
disabled user can neither log in nor keep using the session it had."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, form_post, log_in, web_app

CA_USERS = "/states/CA/users"


def test_a_state_admin_adds_changes_disables_enables_and_removes_a_user(users, web_container):
    accounts = web_container.accounts
    r = form_post(users.ca_state_admin, CA_USERS, "/users/new", email="Temp@example.gov",
                  role="viewer", back=CA_USERS)
    assert r.status_code == 200 and "shown only this once" in r.text
    password = re.search(r"<code>([^<]+)</code>", r.text).group(1)
    user = accounts.find_user("temp@example.gov")
    assert (user.role, user.state) == ("viewer", "CA")
    assert accounts.authenticate("temp@example.gov", password).id == user.id

    page = users.ca_state_admin.get(CA_USERS).text
    assert "temp@example.gov" in page and "tx.editor@example.gov" not in page
    assert 'value="admin"' not in page  # a state admin is never offered the platform role

    r = form_post(users.ca_state_admin, CA_USERS, f"/users/{user.id}/role", role="editor",
                  back=CA_USERS)
    assert r.status_code == 303 and r.headers["location"] == CA_USERS
    assert accounts.find_user("temp@example.gov").role == "editor"

    form_post(users.ca_state_admin, CA_USERS, f"/users/{user.id}/disabled", disabled="true",
              back=CA_USERS)
    assert accounts.find_user("temp@example.gov").disabled
    assert "disabled" in users.ca_state_admin.get(CA_USERS).text
    form_post(users.ca_state_admin, CA_USERS, f"/users/{user.id}/disabled", disabled="false",
              back=CA_USERS)
    assert not accounts.find_user("temp@example.gov").disabled

    confirm = f"/users/{user.id}/remove?back={CA_USERS}"
    assert "Remove temp@example.gov?" in users.ca_state_admin.get(confirm).text
    r = form_post(users.ca_state_admin, confirm, f"/users/{user.id}/remove", back=CA_USERS)
    assert r.status_code == 303 and accounts.store.find_user("temp@example.gov") is None


def test_a_state_admin_cannot_add_a_platform_admin_or_a_tx_user(users, web_container):
    before = web_container.accounts.list_users()
    r = form_post(users.ca_state_admin, CA_USERS, "/users/new", email="x@example.gov",
                  role="admin", password=PASSWORD, back=CA_USERS)
    assert r.status_code == 403 and "platform admins" in r.text
    tx = web_container.accounts.find_user("tx.editor@example.gov")
    for action, data in ((f"/users/{tx.id}/disabled", {"disabled": "true"}),
                         (f"/users/{tx.id}/role", {"role": "viewer"}),
                         (f"/users/{tx.id}/remove", {})):
        assert form_post(users.ca_state_admin, CA_USERS, action, **data).status_code == 404
    assert web_container.accounts.list_users() == before


def test_a_bad_email_is_shown_on_the_form(users):
    r = form_post(users.admin, "/users", "/users/new", email="not-an-email", role="viewer",
                  state="CA", back="/users")
    assert r.status_code == 422 and "is not an email address" in r.text
    assert 'value="not-an-email"' in r.text


def test_a_disabled_user_cannot_log_in_and_its_session_ends(users, web_container):
    accounts = web_container.accounts
    user = accounts.add_user("short.lived@example.gov", PASSWORD, "editor", "CA")
    with TestClient(web_app(web_container), raise_server_exceptions=False) as browser:
        assert log_in(browser, user.email).status_code == 303
        assert browser.get("/states/CA").status_code == 200
        form_post(users.admin, "/users", f"/users/{user.id}/disabled", disabled="true",
                  back="/users")
        r = browser.get("/states/CA", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        r = log_in(browser, user.email)
        assert r.status_code == 400 and "disabled" in r.text
    accounts.set_disabled(user.id, False)
