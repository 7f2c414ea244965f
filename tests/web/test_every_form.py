"""Every form beyond the employee's (users, roles, tokens, retention, separation, holds,
erasure requests) names all its problems in one answer, beside their fields, keeps what was
typed (passwords excepted), and writes nothing: no record, no audit entry."""

from __future__ import annotations

import pytest

from humangov.domain.auth import SYSTEM
from tests.web.conftest import form_post
from tests.web.test_forms import error_of, summary


def audit_entries(container) -> int:
    return len(container.audit.log.events(limit=100_000, cursor=None)[0])


def assert_all_reported(r, fields, status=422) -> None:
    assert r.status_code == status, r.text
    box = summary(r.text)
    assert 'tabindex="-1" autofocus' in box  # the summary takes focus, without script
    for field in fields:
        assert error_of(r.text, field), field
        assert f'href="#{field}"' in box, field
    assert box.count("<li>") == len(fields)


@pytest.fixture
def unchanged(web_container):
    """Call with what a form could have written; asserts it and the audit log are as before."""
    checks = []

    def watch(read):
        checks.append((read, read(), audit_entries(web_container)))

    yield watch
    for read, before, entries in checks:
        assert read() == before
        assert audit_entries(web_container) == entries


def users_of(container):
    return [(u.email, u.role, u.state) for u in container.accounts.list_users()]


def test_adding_a_user_reports_every_field_and_keeps_all_but_the_password(
        users, web_container, unchanged):
    unchanged(lambda: users_of(web_container))
    r = form_post(users.admin, "/users", "/users/new", back="/users", email="not an email",
                  role="chief", state="ZZ", password="tiny-secret")
    assert_all_reported(r, ("email", "role", "state", "password"))
    assert "is not an email address" in error_of(r.text, "email")
    assert "USPS code" in error_of(r.text, "state")
    assert "12 to 1024 characters" in error_of(r.text, "password")
    assert 'value="not an email"' in r.text and 'value="ZZ"' in r.text
    assert "tiny-secret" not in r.text


def test_a_state_user_without_a_state_is_told_to_give_one(users, web_container, unchanged):
    unchanged(lambda: users_of(web_container))
    r = form_post(users.admin, "/users", "/users/new", back="/users", email="", role="editor",
                  state="")
    assert_all_reported(r, ("email", "state"))
    assert "An editor belongs to one state" in error_of(r.text, "state")


def test_changing_a_role_reports_both_fields_on_the_users_row(users, web_container, unchanged):
    unchanged(lambda: users_of(web_container))
    viewer = web_container.accounts.find_user("ca.viewer@example.gov")
    r = form_post(users.admin, "/users", f"/users/{viewer.id}/role", back="/users",
                  role="chief", state="ZZ")
    assert_all_reported(r, (f"role-{viewer.id}", f"state-{viewer.id}"))
    assert f'id="state-{viewer.id}" name="state" value="ZZ"' in r.text
    assert f'aria-describedby="state-{viewer.id}-error"' in r.text


def test_a_token_form_reports_name_and_expiry_at_once(users, web_container, unchanged):
    unchanged(lambda: [t.id for t in web_container.accounts.list_tokens(SYSTEM)])
    long_name = "n" * 101
    r = form_post(users.ca_editor, "/account", "/account/tokens", name=long_name,
                  expires_days="soon")
    assert_all_reported(r, ("name", "expires_days"))
    assert "at most 100 characters" in error_of(r.text, "name")
    assert f'value="{long_name}"' in r.text and 'value="soon"' in r.text


def test_the_retention_form_reports_both_periods(users, web_container, unchanged):
    unchanged(lambda: web_container.retention.show("CA"))
    r = form_post(users.ca_state_admin, "/states/CA/retention", document_years="ever",
                  record_years="0")
    assert_all_reported(r, ("document_years", "record_years"))
    assert "between 1 and 100" in error_of(r.text, "record_years")
    assert 'value="ever"' in r.text and 'value="0"' in r.text


def test_a_viewer_is_refused_the_retention_form_before_any_check(users):
    r = form_post(users.ca_viewer, "/states/CA/retention", document_years="ever",
                  record_years="0")
    assert r.status_code == 403 and "error-summary" not in r.text


def test_the_separation_form_reports_date_and_reason(users, web_container, add_employee,
                                                     unchanged):
    e = add_employee()
    unchanged(lambda: web_container.personnel.get_employee("CA", e.id))
    page = f"/states/CA/employees/{e.id}/separate"
    r = form_post(users.ca_editor, page, separated_on="someday", reason="r" * 201)
    assert_all_reported(r, ("separated_on", "reason"))
    assert "2026-06-30" in error_of(r.text, "separated_on")
    assert 'value="someday"' in r.text and f'value="{"r" * 201}"' in r.text


def test_the_hold_form_reports_the_matter_and_every_unknown_employee(
        users, web_container, unchanged):
    unchanged(lambda: web_container.holds.list(SYSTEM, "CA"))
    r = form_post(users.ca_state_admin, "/states/CA/holds", matter="   ",
                  employee_ids="nobody, noone")
    assert_all_reported(r, ("matter", "employee_ids"))
    assert "Enter the matter" in error_of(r.text, "matter")
    assert "nobody, noone" in error_of(r.text, "employee_ids")
    assert 'value="nobody, noone"' in r.text


def test_the_request_form_reports_every_field(users, web_container, unchanged):
    unchanged(lambda: web_container.requests.listing(SYSTEM, "CA"))
    r = form_post(users.ca_state_admin, "/states/CA/requests", subject=" ",
                  legal_basis="b" * 2001, due="soon")
    assert_all_reported(r, ("subject", "legal_basis", "due"))
    assert "at most 2000 characters" in error_of(r.text, "legal_basis")
    assert 'value="soon"' in r.text and f'value="{"b" * 2001}"' in r.text


def test_every_form_states_its_limits_beside_its_fields(users):
    for client, page, hint in (
        (users.admin, "/users", "12 to 1024 characters"),
        (users.ca_editor, "/account", "from 1 to 3650"),
        (users.ca_state_admin, "/states/CA/retention", "from 1 to 100"),
        (users.ca_state_admin, "/states/CA/holds", "at most 200 characters"),
        (users.ca_state_admin, "/states/CA/requests", "at most 2000 characters"),
    ):
        assert hint in client.get(page).text, page


def test_the_login_form_reports_both_fields(users, web_container, unchanged):
    unchanged(lambda: None)  # the audit log alone: no attempt is recorded
    r = form_post(users.nobody, "/login", email="", password="")
    assert_all_reported(r, ("email", "password"), status=400)
