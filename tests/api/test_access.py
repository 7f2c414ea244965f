"""Every endpoint, for the owner, another state's user, a viewer and no credentials."""

from __future__ import annotations

import pytest

from tests.conftest import PDF

FIELDS = {"first_name": "Ada", "last_name": "Lovelace", "role": "Analyst", "salary": "85000"}


def call(client, method, path, headers):
    kwargs = {}
    if method == "POST":
        kwargs = {"data": FIELDS, "files": {"document": ("a.pdf", PDF, "application/pdf")}}
    elif method == "PUT":
        kwargs = {"files": {"document": ("a.pdf", PDF, "application/pdf")}}
    elif method == "PATCH":
        kwargs = {"json": {"role": "Lead"}}
    return client.request(method, path, headers=headers, **kwargs)


ENDPOINTS = [
    ("GET", "/api/v1/states/CA/employees", False),
    ("POST", "/api/v1/states/CA/employees", True),
    ("GET", "/api/v1/states/CA/employees/{id}", False),
    ("PATCH", "/api/v1/states/CA/employees/{id}", True),
    ("PUT", "/api/v1/states/CA/employees/{id}/document", True),
    ("GET", "/api/v1/states/CA/employees/{id}/document", False),
    ("GET", "/api/v1/states/CA/employees/{id}/history", False),
    ("DELETE", "/api/v1/states/CA/employees/{id}", True),
]


@pytest.mark.parametrize("method, path, writes", ENDPOINTS)
def test_the_owner_state_may_use_the_endpoint(client, callers, add_employee, method, path, writes):
    e = add_employee()
    r = call(client, method, path.format(id=e["id"]), callers.ca_editor)
    assert r.status_code < 300, r.text


@pytest.mark.parametrize("method, path, writes", ENDPOINTS)
def test_a_state_admin_may_use_every_endpoint_of_its_state(
    client, callers, add_employee, method, path, writes
):
    e = add_employee()
    r = call(client, method, path.format(id=e["id"]), callers.ca_state_admin)
    assert r.status_code < 300, r.text
    tx = add_employee("TX", headers=callers.tx_editor)
    r = call(client, method, path.replace("/CA/", "/TX/").format(id=tx["id"]),
             callers.ca_state_admin)
    assert r.status_code == 404 and "Lovelace" not in r.text


USERS = [("GET", "/api/v1/users"), ("POST", "/api/v1/users"),
         ("PATCH", "/api/v1/users/{id}"), ("DELETE", "/api/v1/users/{id}")]


def users_call(client, method, path, headers, target):
    body = {"POST": {"json": {"email": "new@example.gov", "role": "viewer", "state": "CA"}},
            "PATCH": {"json": {"disabled": True}}}.get(method, {})
    return client.request(method, path.format(id=target.id), headers=headers, **body)


@pytest.mark.parametrize("method, path", USERS)
def test_the_users_endpoints_by_caller(client, container, callers, method, path):
    ca = container.accounts.add_user("ca.viewer@example.gov", "a long password", "viewer", "CA")
    tx = container.accounts.add_user("tx.viewer@example.gov", "a long password", "viewer", "TX")
    assert users_call(client, method, path, callers.nobody, ca).status_code == 401
    for refused in (callers.ca_editor, callers.ca_viewer):
        r = users_call(client, method, path, refused, ca)
        assert r.status_code == 403 and "admin" in r.json()["detail"]
    if method != "GET" and method != "POST":
        # another state's user is not there for a state admin
        assert users_call(client, method, path, callers.ca_state_admin, tx).status_code == 404
    assert users_call(client, method, path, callers.ca_state_admin, ca).status_code < 300
    assert container.accounts.get_user(tx.id) == tx


@pytest.mark.parametrize("method, path, writes", ENDPOINTS)
def test_another_states_user_gets_404_and_no_data(
    client, callers, add_employee, method, path, writes
):
    e = add_employee()
    r = call(client, method, path.format(id=e["id"]), callers.tx_editor)
    assert r.status_code == 404
    assert "Lovelace" not in r.text and "sha256" not in r.text
    # and nothing changed for the owner
    assert (
        client.get(f"/api/v1/states/CA/employees/{e['id']}", headers=callers.ca_editor).json()[
            "version"
        ]
        == 1
    )


@pytest.mark.parametrize("method, path, writes", ENDPOINTS)
def test_no_credentials_answer_401(client, callers, add_employee, method, path, writes):
    e = add_employee()
    r = call(client, method, path.format(id=e["id"]), callers.nobody)
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert "Lovelace" not in r.text


@pytest.mark.parametrize("method, path, writes", [ep for ep in ENDPOINTS if ep[2]])
def test_a_viewer_may_not_write(client, callers, add_employee, method, path, writes):
    e = add_employee()
    r = call(client, method, path.format(id=e["id"]), callers.ca_viewer)
    assert r.status_code == 403
    assert (
        client.get(f"/api/v1/states/CA/employees/{e['id']}", headers=callers.ca_viewer).status_code
        == 200
    )


def test_an_invalid_token_answers_401(client):
    r = client.get("/api/v1/states", headers={"Authorization": "Bearer hg_forged"})
    assert r.status_code == 401 and "not valid" in r.json()["detail"]
    assert client.get("/api/v1/states", headers={"Authorization": "Basic abc"}).status_code == 401


def test_states_endpoint_requires_credentials(client):
    assert client.get("/api/v1/states").status_code == 401


def test_tokens_are_stored_hashed(container):
    token, record = container.accounts.create_token("viewer", "CA")
    assert token not in record.token_hash and len(record.token_hash) == 64
