"""GET /api/v1/audit, and tokens created and first used in the audit log."""

from __future__ import annotations

from humangov.bootstrap import bootstrap
from humangov.domain import audit
from tests.audit_rows import assert_no_secret, audit_rows


def events(client, headers, **params) -> list[dict]:
    r = client.get("/api/v1/audit", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_a_platform_admin_reads_every_event_newest_first(client, callers, container):
    items = events(client, callers.admin)
    # the callers' five tokens were created (newest first); the admin's was just used
    assert [e["kind"] for e in items] == [audit.TOKEN_FIRST_USED] + [audit.TOKEN_CREATED] * 5
    used = items[0]
    assert (used["actor"], used["client"], used["state"]) == (
        "token:admin-all", "testclient", None)
    created = items[1:]
    assert [(e["state"], e["detail"]) for e in created] == [
        ("CA", {"name": "state-admin-CA", "role": "state-admin"}),
        ("TX", {"name": "editor-TX", "role": "editor"}),
        ("CA", {"name": "viewer-CA", "role": "viewer"}),
        ("CA", {"name": "editor-CA", "role": "editor"}),
        (None, {"name": "admin-all", "role": "admin"})]
    assert used["subject"] == created[-1]["subject"]  # the token's id
    assert_no_secret(container.settings.database_path,
                     *(h["Authorization"].split()[1] for h in
                       (callers.admin, callers.ca_editor, callers.ca_viewer, callers.tx_editor,
                        callers.ca_state_admin)))


def test_a_tokens_first_use_is_recorded_once_in_any_process(client, callers, container):
    client.get("/api/v1/states", headers=callers.ca_editor)
    client.get("/api/v1/states", headers=callers.ca_editor)
    # a second process (the CLI, another server) knows the first use from the log
    other = bootstrap(container.settings)
    try:
        token = callers.ca_editor["Authorization"].split()[1]
        assert other.accounts.use_token(token, "10.0.0.9") is not None
    finally:
        other.close()
    [used] = audit_rows(container.settings.database_path, audit.TOKEN_FIRST_USED)
    assert (used["actor"], used["state"], used["client"]) == ("token:editor-CA", "CA",
                                                              "testclient")


def test_the_events_filter_by_kind_and_state_and_page_on_a_cursor(client, callers):
    assert {e["state"] for e in events(client, callers.admin, state="ca")} == {"CA"}
    assert {e["kind"] for e in events(client, callers.admin, kind=audit.TOKEN_CREATED)} == {
        audit.TOKEN_CREATED}
    first = client.get("/api/v1/audit", headers=callers.admin, params={"limit": 3}).json()
    rest = client.get("/api/v1/audit", headers=callers.admin,
                      params={"limit": 3, "cursor": first["next_cursor"]}).json()
    assert len(first["items"]) == 3 and len(rest["items"]) == 3 and rest["next_cursor"] is None


def test_an_unknown_kind_is_a_clear_422(client, callers):
    r = client.get("/api/v1/audit", headers=callers.admin, params={"kind": "login.maybe"})
    assert r.status_code == 422 and "kind" in r.json()["detail"]


def test_only_platform_admins_read_the_audit_log(client, callers):
    for headers in (callers.ca_editor, callers.ca_viewer, callers.tx_editor):
        r = client.get("/api/v1/audit", headers=headers)
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
        assert "token" not in r.text
    assert client.get("/api/v1/audit").status_code == 401


def test_a_state_admin_reads_its_own_states_events_and_no_others(client, callers):
    # GIVEN events of CA and of TX (the tokens created for the callers)
    assert {e["state"] for e in events(client, callers.admin)} >= {"CA", "TX"}
    # THEN a CA state admin reads CA's events only, asked or not
    assert {e["state"] for e in events(client, callers.ca_state_admin)} == {"CA"}
    assert {e["state"] for e in events(client, callers.ca_state_admin, state="CA")} == {"CA"}
    # AND TX's answer as TX's data does: not found
    r = client.get("/api/v1/audit", headers=callers.ca_state_admin, params={"state": "TX"})
    assert r.status_code == 404


def test_disabling_a_user_ends_their_sessions_and_the_log_says_so(container):
    user = container.accounts.add_user("leaver@example.gov", "a long enough password",
                                       "editor", "CA")
    cookie, _ = container.accounts.start_session(user.id)
    container.accounts.set_disabled(user.id, True)
    assert container.accounts.resume_session(cookie) is None
    ended = [e for e in container.audit_log.events(limit=50, cursor=None)[0]
             if e.kind == audit.SESSION_ENDED]
    assert [(e.subject, e.state, e.detail["sessions"]) for e in ended] == [
        ("leaver@example.gov", "CA", 1)]
