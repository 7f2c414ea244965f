"""The erasure request pages: counsel files a request in the browser, follows it to its
receipts and reads it in the compliance report; editors and viewers of the state cannot."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, form_post, log_in

PAGE = "/states/CA/requests"


@pytest.fixture(scope="module")
def counsel(users, web_container):
    web_container.accounts.add_user("ca.counsel@example.gov", PASSWORD, "counsel", "CA")
    with TestClient(users.admin.app, raise_server_exceptions=False) as client:
        assert log_in(client, "ca.counsel@example.gov").status_code == 303
        yield client


def test_counsel_files_a_request_and_sees_it_done_in_the_report(counsel, web_container,
                                                                add_employee):
    ada = add_employee(first_name="Ada", last_name="Byron")
    r = form_post(counsel, PAGE, subject="Ada Byron", legal_basis="CCPA 1798.105",
                  due="2099-01-31")
    assert r.status_code == 303
    shown = r.headers["location"]
    assert re.fullmatch(r"/states/CA/requests/[0-9a-f-]{36}", shown)
    web_container.erasures.worker("test").drain()
    web_container.requests.check(["CA"])
    page = counsel.get(shown).text
    assert "done" in page and ada.document.key in page
    assert "Ada Byron" in counsel.get(PAGE).text
    report = counsel.get("/states/CA/compliance")
    assert report.status_code == 200 and "Erasure requests" in report.text
    assert ada.document.key in report.text
    download = counsel.get("/states/CA/compliance.json").json()
    assert [q["status"] for q in download["requests"] if q["subject"] == "Ada Byron"] == ["done"]
    # Counsel reads the state's records but changes none.
    assert counsel.get("/states/CA").status_code == 200
    assert counsel.get("/states/CA/employees/new").status_code == 403


def test_a_bad_due_date_is_shown_on_the_form(counsel):
    r = form_post(counsel, PAGE, subject="Ada", legal_basis="CCPA", due="tomorrow")
    assert r.status_code == 422 and "YYYY-MM-DD" in r.text


def test_editors_viewers_and_other_states_cannot_see_requests(users):
    assert users.ca_editor.get(PAGE).status_code == 403
    assert users.ca_viewer.get(PAGE).status_code == 403
    assert users.tx_editor.get(PAGE).status_code == 403  # pages say "No access"
    assert users.ca_state_admin.get(PAGE).status_code == 200
