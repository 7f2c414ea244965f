"""Every page, for the owner, another state's editor, a viewer and someone not logged in."""

from __future__ import annotations

import pytest

from tests.conftest import PDF
from tests.web.conftest import csrf_of

FIELDS = {"first_name": "Grace", "last_name": "Hopper", "role": "Admiral", "salary": "99000"}

READ_PAGES = [
    "/states/CA",
    "/states/CA/employees/{id}",
    "/states/CA/employees/{id}/history",
    "/states/CA/employees/{id}/document/view",
    "/states/CA/employees/{id}/document/download",
]
WRITE_PAGES = [
    "/states/CA/employees/new",
    "/states/CA/employees/{id}/edit",
    "/states/CA/employees/{id}/document",
    "/states/CA/employees/{id}/delete",
]
# (form action, builds the request body)
WRITES = [
    (
        "/states/CA/employees/new",
        lambda: {"data": FIELDS, "files": {"document": ("id.pdf", PDF, "application/pdf")}},
    ),
    ("/states/CA/employees/{id}/edit", lambda: {"data": {**FIELDS, "version": "1"}}),
    (
        "/states/CA/employees/{id}/document",
        lambda: {
            "data": {"version": "1"},
            "files": {"document": ("id.pdf", PDF, "application/pdf")},
        },
    ),
    ("/states/CA/employees/{id}/delete", lambda: {"data": {"version": "1"}}),
]


def post(client, path, body, token=None):
    body = body()
    body["data"] = {
        **body["data"],
        "csrf_token": token if token is not None else csrf_of(client.get("/states").text),
    }
    return client.post(path, follow_redirects=False, **body)


@pytest.mark.parametrize("page", READ_PAGES + WRITE_PAGES)
def test_the_owner_state_sees_every_page(users, add_employee, page):
    e = add_employee()
    r = users.ca_editor.get(page.format(id=e.id))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("page", READ_PAGES + WRITE_PAGES)
def test_a_platform_admin_sees_every_page(users, add_employee, page):
    e = add_employee()
    assert users.admin.get(page.format(id=e.id)).status_code == 200


@pytest.mark.parametrize("page", READ_PAGES + WRITE_PAGES + ["/states/CA/erasures"])
def test_a_state_admin_sees_every_page_of_its_state_and_none_of_tx(users, add_employee, page):
    e = add_employee()
    assert users.ca_state_admin.get(page.format(id=e.id)).status_code == 200
    tx = add_employee("TX", last_name="Secretname")
    r = users.ca_state_admin.get(page.replace("/states/CA", "/states/TX").format(id=tx.id))
    assert r.status_code == 403 and "Secretname" not in r.text
    assert "You do not have access to TX. Your account is for CA." in r.text


@pytest.mark.parametrize("action, body", WRITES)
def test_a_state_admin_may_write(users, add_employee, action, body):
    e = add_employee()
    assert post(users.ca_state_admin, action.format(id=e.id), body).status_code == 303


# Admin pages: (path, who gets 200); other users get 403.
ADMIN_PAGES = [
    ("/users", {"admin", "ca_state_admin"}),
    ("/states/CA/users", {"admin", "ca_state_admin"}),
    ("/states/CA/compliance", {"admin", "ca_state_admin"}),
    ("/states/CA/compliance.json", {"admin", "ca_state_admin"}),
    ("/erasure/dead-letters", {"admin", "ca_state_admin"}),
]


@pytest.mark.parametrize("page, allowed", ADMIN_PAGES)
def test_admin_pages_by_role(users, page, allowed):
    for who in ("admin", "ca_state_admin", "ca_editor", "ca_viewer", "tx_editor"):
        r = getattr(users, who).get(page)
        if who in allowed:
            assert r.status_code == 200, (who, r.text)
        else:
            assert r.status_code == 403, who
    assert users.nobody.get(page, follow_redirects=False).status_code == 303


def test_a_state_admin_has_no_access_to_tx_users_and_compliance(users):
    for page in ("/states/TX/users", "/states/TX/compliance", "/states/TX/compliance.json"):
        r = users.ca_state_admin.get(page)
        assert r.status_code == 403 and "You do not have access to TX" in r.text


def test_the_compliance_download_is_the_whole_report_as_json(users):
    r = users.ca_state_admin.get("/states/CA/compliance.json")
    assert r.headers["content-disposition"] == 'attachment; filename="compliance-CA.json"'
    report = r.json()
    assert (report["state"], report["receipts"], report["total_erased"]) == ("CA", [], 0)
    assert 'href="/states/CA/compliance.json"' in users.ca_state_admin.get(
        "/states/CA/compliance").text  # counsel downloads it from the page


@pytest.mark.parametrize("page", READ_PAGES + WRITE_PAGES)
def test_another_states_user_is_told_it_has_no_access_and_sees_no_data(users, add_employee, page):
    e = add_employee(last_name="Secretname")
    r = users.tx_editor.get(page.format(id=e.id))
    assert r.status_code == 403
    assert "You do not have access to CA. Your account is for TX." in r.text
    assert "Secretname" not in r.text and e.id not in r.text


def test_the_page_says_the_same_for_a_state_that_is_not_provisioned(users):
    # Provisioned or not, another state reads alike: the page reveals nothing about it.
    r = users.tx_editor.get("/states/WY")
    assert r.status_code == 403 and "You do not have access to WY." in r.text


@pytest.mark.parametrize("page", READ_PAGES + WRITE_PAGES)
def test_no_credentials_redirect_to_the_login_page(users, add_employee, page):
    e = add_employee(last_name="Secretname")
    path = page.format(id=e.id)
    r = users.nobody.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/login?next={path}"
    assert "Secretname" not in r.text


@pytest.mark.parametrize("page", READ_PAGES)
def test_a_viewer_reads_but_sees_no_write_buttons(users, add_employee, page):
    e = add_employee()
    r = users.ca_viewer.get(page.format(id=e.id))
    assert r.status_code == 200
    for action in ("/edit", "/delete", "/employees/new", 'document"'):
        assert action not in r.text


@pytest.mark.parametrize("page", WRITE_PAGES)
def test_a_viewer_gets_403_on_write_forms(users, add_employee, page):
    e = add_employee()
    assert users.ca_viewer.get(page.format(id=e.id)).status_code == 403


@pytest.mark.parametrize("action, body", WRITES)
def test_the_owner_state_may_write(users, add_employee, action, body):
    e = add_employee()
    r = post(users.ca_editor, action.format(id=e.id), body)
    assert r.status_code == 303, r.text


@pytest.mark.parametrize("action, body", WRITES)
def test_a_viewers_write_answers_403_and_changes_nothing(
    users, web_container, add_employee, action, body
):
    e = add_employee()
    before = web_container.personnel.list_employees("CA", limit=200).items
    r = post(users.ca_viewer, action.format(id=e.id), body)
    assert r.status_code == 403
    assert web_container.personnel.list_employees("CA", limit=200).items == before


@pytest.mark.parametrize("action, body", WRITES)
def test_another_states_write_is_refused_and_changes_nothing(
    users, web_container, add_employee, action, body
):
    e = add_employee()
    before = web_container.personnel.list_employees("CA", limit=200).items
    r = post(users.tx_editor, action.format(id=e.id), body)
    assert r.status_code == 403 and "You do not have access to CA" in r.text
    assert web_container.personnel.list_employees("CA", limit=200).items == before


@pytest.mark.parametrize("action, body", WRITES)
def test_a_write_without_credentials_redirects_to_login(
    users, web_container, add_employee, action, body
):
    e = add_employee()
    before = web_container.personnel.list_employees("CA", limit=200).items
    r = post(users.nobody, action.format(id=e.id), body, token="x")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert web_container.personnel.list_employees("CA", limit=200).items == before


@pytest.mark.parametrize("token", [None, "", "forged-token"])
@pytest.mark.parametrize("action, body", WRITES)
def test_a_write_without_the_right_csrf_token_answers_403(
    users, web_container, add_employee, action, body, token
):
    e = add_employee()
    before = web_container.personnel.list_employees("CA", limit=200).items
    payload = body()
    if token is not None:
        payload["data"] = {**payload["data"], "csrf_token": token}
    r = users.ca_editor.post(action.format(id=e.id), follow_redirects=False, **payload)
    assert r.status_code == 403
    assert "expired" in r.text
    assert web_container.personnel.list_employees("CA", limit=200).items == before


def test_an_unknown_state_or_employee_answers_404(users):
    assert users.admin.get("/states/ZZ").status_code == 404
    assert users.admin.get("/states/CA/employees/not-a-uuid").status_code == 404
    assert (
        users.admin.get("/states/CA/employees/00000000-0000-4000-8000-000000000000").status_code
        == 404
    )


def test_home_sends_admins_to_the_picker_and_others_to_their_state(users):
    assert users.admin.get("/", follow_redirects=False).headers["location"] == "/states"
    assert users.ca_viewer.get("/", follow_redirects=False).headers["location"] == "/states/CA"
    assert (
        users.tx_editor.get("/states", follow_redirects=False).headers["location"] == "/states/TX"
    )
    picker = users.admin.get("/states")
    assert 'href="/states/CA"' in picker.text and 'href="/states/TX"' in picker.text


def test_an_unknown_page_shows_the_error_page_without_a_stack_trace(users):
    r = users.nobody.get("/no-such-page")
    assert r.status_code == 404 and "There is nothing at /no-such-page" in r.text
    assert "Log out" not in r.text and "Traceback" not in r.text


def test_an_add_form_that_is_not_multipart_answers_400(users, web_container):
    before = web_container.personnel.list_employees("CA", limit=200).items
    r = users.ca_editor.post("/states/CA/employees/new", data=FIELDS, follow_redirects=False)
    assert r.status_code == 400 and "multipart/form-data" in r.text
    assert web_container.personnel.list_employees("CA", limit=200).items == before
