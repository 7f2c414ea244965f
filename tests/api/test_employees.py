"""The personnel REST API, end to end over HTTP against SQLite and the filesystem."""

from __future__ import annotations

import hashlib
import os

from tests.conftest import PDF
from tests.stored import stored_files


def documents_on_disk(container) -> list:
    root = container.settings.documents_dir
    return stored_files(root)


def test_creating_an_employee_returns_it_with_its_document_digest(client, callers):
    # WHEN an editor posts an employee with a PDF
    r = client.post(
        "/api/v1/states/ca/employees",
        data={
            "first_name": " Grace ",
            "last_name": "Hopper",
            "role": "Admiral",
            "salary": "120000.50",
        },
        files={"document": ("scan.pdf", PDF, "application/pdf")},
        headers=callers.ca_editor,
    )
    # THEN it answers 201 with the employee, an ETag and the document's size and sha256
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["first_name"] == "Grace" and body["state"] == "CA" and body["salary"] == "120000.50"
    assert body["document"] == {"size": len(PDF), "sha256": hashlib.sha256(PDF).hexdigest()}
    assert r.headers["etag"] == '"1"'
    # AND it can be read back
    got = client.get(f"/api/v1/states/CA/employees/{body['id']}", headers=callers.ca_viewer)
    assert got.status_code == 200 and got.json() == body


def test_storage_keys_carry_no_personal_data(client, callers, container, add_employee):
    employee = add_employee(first_name="Zelda", last_name="Fitzgerald")
    keys = [
        os.path.relpath(p, container.settings.documents_dir) for p in documents_on_disk(container)
    ]
    assert len(keys) == 1
    assert employee["id"] in keys[0] and "Zelda" not in keys[0] and "Fitzgerald" not in keys[0]
    assert keys[0].endswith(".pdf")


def test_listing_pages_through_every_employee_in_a_stable_order(client, callers, add_employee):
    ids = {add_employee(first_name=f"P{i}", last_name="Same")["id"] for i in range(7)}
    seen, cursor = [], None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get(
            "/api/v1/states/CA/employees", params=params, headers=callers.ca_viewer
        ).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 7 and set(seen) == ids


def test_search_matches_name_and_role(client, callers, add_employee):
    add_employee(first_name="Alan", last_name="Turing", role="Cryptanalyst")
    add_employee(first_name="Joan", last_name="Clarke", role="Linguist")
    by_name = client.get(
        "/api/v1/states/CA/employees", params={"q": "alan tur"}, headers=callers.ca_viewer
    )
    by_role = client.get(
        "/api/v1/states/CA/employees", params={"q": "LINGU"}, headers=callers.ca_viewer
    )
    assert [e["last_name"] for e in by_name.json()["items"]] == ["Turing"]
    assert [e["last_name"] for e in by_role.json()["items"]] == ["Clarke"]


def test_patch_with_a_stale_version_answers_412_and_changes_nothing(client, callers, add_employee):
    e = add_employee()
    url = f"/api/v1/states/CA/employees/{e['id']}"
    first = client.patch(
        url, json={"role": "Lead"}, headers=callers.ca_editor | {"If-Match": '"1"'}
    )
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = client.patch(url, json={"salary": "1"}, headers=callers.ca_editor | {"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert client.get(url, headers=callers.ca_editor).json()["salary"] == "85000.00"


def test_history_records_moves_and_salary_changes_old_to_new(client, callers, add_employee):
    e = add_employee()
    url = f"/api/v1/states/CA/employees/{e['id']}"
    client.patch(url, json={"role": "Director"}, headers=callers.ca_editor)
    client.patch(url, json={"salary": "90000"}, headers=callers.ca_editor)
    client.put(
        url + "/document",
        files={"document": ("n.pdf", PDF + b"%new", "application/pdf")},
        headers=callers.ca_editor,
    )
    history = client.get(url + "/history", headers=callers.ca_viewer).json()
    assert [h["action"] for h in history] == ["added", "moved", "changed", "document-replaced"]
    assert history[1]["changes"] == [{"field": "role", "old": "Analyst", "new": "Director"}]
    assert history[2]["changes"] == [{"field": "salary", "old": "85000.00", "new": "90000.00"}]
    assert history[3]["changes"][0]["new"] == "replaced"
    assert all(h["actor"].startswith("token:") for h in history)


def test_document_download_is_an_attachment_that_cannot_be_sniffed(client, callers, add_employee):
    e = add_employee()
    r = client.get(f"/api/v1/states/CA/employees/{e['id']}/document", headers=callers.ca_viewer)
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith("attachment")
    assert r.headers["x-content-type-options"] == "nosniff"


def test_replacing_the_document_serves_the_new_file(client, callers, add_employee):
    e = add_employee()
    new = PDF.replace(b"200 200", b"300 300")
    r = client.put(
        f"/api/v1/states/CA/employees/{e['id']}/document",
        files={"document": ("n.pdf", new, "application/pdf")},
        headers=callers.ca_editor,
    )
    assert (
        r.status_code == 200 and r.json()["document"]["sha256"] == hashlib.sha256(new).hexdigest()
    )
    got = client.get(f"/api/v1/states/CA/employees/{e['id']}/document", headers=callers.ca_editor)
    assert got.content == new


def test_deleting_an_employee_answers_204_and_then_404(client, callers, add_employee):
    e = add_employee()
    url = f"/api/v1/states/CA/employees/{e['id']}"
    assert client.delete(url, headers=callers.ca_editor).status_code == 204
    assert client.get(url, headers=callers.ca_editor).status_code == 404
    assert client.delete(url, headers=callers.ca_editor).status_code == 404


def test_states_lists_what_the_caller_may_see(client, callers):
    everything = client.get("/api/v1/states", headers=callers.admin).json()
    assert {"code": "CA", "name": "California"} in everything and len(everything) == 2
    assert client.get("/api/v1/states", headers=callers.tx_editor).json() == [
        {"code": "TX", "name": "Texas"}
    ]


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {
        "database": "ok",
        "documents": "ok",
    }
