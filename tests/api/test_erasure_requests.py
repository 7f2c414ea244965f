"""The erasure request API: counsel files a request, reads it and the list; a state admin may
too; an editor may not; another state's caller gets 404; bad input is problem+json."""

from __future__ import annotations


def test_counsel_files_and_reads_a_request(client, container, add_employee):
    ada = add_employee(first_name="Ada", last_name="Byron")
    token, _ = container.accounts.create_token("counsel", "CA")
    counsel = {"Authorization": f"Bearer {token}"}
    r = client.post("/api/v1/states/CA/erasure-requests", headers=counsel, json={
        "subject": ada["id"], "legal_basis": "CCPA 1798.105", "due": "2099-01-31"})
    assert r.status_code == 201, r.text
    filed = r.json()
    assert (filed["employee_ids"], filed["status"]) == ([ada["id"]], "open")
    assert r.headers["location"] == f"/api/v1/states/CA/erasure-requests/{filed['id']}"
    assert client.get(f"/api/v1/states/CA/employees/{ada['id']}",
                      headers=counsel).status_code == 404
    container.erasures.worker("test").drain()
    container.requests.check(["CA"])
    got = client.get(r.headers["location"], headers=counsel).json()
    assert got["status"] == "done" and len(got["receipts"]) == 1
    listed = client.get("/api/v1/states/CA/erasure-requests", headers=counsel).json()
    assert [q["id"] for q in listed["items"]] == [filed["id"]]


def test_who_may_file(client, callers, container):
    body = {"subject": "Nobody", "legal_basis": "CCPA", "due": "2099-01-31"}
    url = "/api/v1/states/CA/erasure-requests"
    assert client.post(url, headers=callers.ca_state_admin, json=body).status_code == 201
    editor = client.post(url, headers=callers.ca_editor, json=body)
    assert editor.status_code == 403
    assert editor.headers["content-type"] == "application/problem+json"
    assert client.post(url, headers=callers.tx_editor, json=body).status_code == 404
    assert client.get(url, headers=callers.ca_viewer).status_code == 403
    token, _ = container.accounts.create_token("counsel", "CA")
    counsel = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/states/CA/employees", headers=counsel, data={
        "first_name": "A", "last_name": "B", "role": "C", "salary": "1"}).status_code == 403
    assert client.post(url, headers=counsel, json={**body, "due": "soon"}).status_code == 422
    missing = client.get(f"{url}/nope", headers=counsel)
    assert missing.status_code == 404
