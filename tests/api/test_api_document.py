"""What /openapi.json states, held against what the API does: the lean routes answer what
their documented twins promise, undeclared methods answer 405 with Allow, and the rules the
document gives for inputs are the ones the API enforces."""

from __future__ import annotations

import pytest
import schemathesis

from tests.conftest import PDF

FIELDS = {"first_name": "Ada", "last_name": "Lovelace", "role": "Analyst", "salary": "85000"}
LISTING = "/api/v1/states/CA/employees"


@pytest.fixture
def document(client):
    return schemathesis.openapi.from_asgi("/openapi.json", client.app)


def test_the_lean_routes_answer_what_the_document_promises(client, callers, add_employee,
                                                           document):
    # The two hottest reads are served by lean routes; their twins only document them.
    employee = add_employee()
    add_employee(last_name="Babbage")
    viewer = callers.ca_viewer
    listing = document["/api/v1/states/{code}/employees"]["GET"]
    for response in (client.get(LISTING, params={"limit": 1}, headers=viewer),
                     client.get(LISTING, params={"limit": 0}, headers=viewer),
                     client.get("/api/v1/states/ZZ/employees", headers=viewer)):
        listing.validate_response(response)
    one = document["/api/v1/states/{code}/employees/{employee_id}"]["GET"]
    for response in (client.get(f"{LISTING}/{employee['id']}", headers=viewer),
                     client.get(f"{LISTING}/nobody", headers=viewer),
                     client.get(f"{LISTING}/nobody")):
        one.validate_response(response)


def test_the_lean_listing_refuses_a_bad_query_as_its_twin_documents(client, callers):
    r = client.get(LISTING, params={"limit": "many"}, headers=callers.ca_viewer)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == "limit" and r.json()["errors"][0]["loc"] == ["query", "limit"]
    r = client.get(LISTING, params={"cursor": "not/base64"}, headers=callers.ca_viewer)
    assert r.status_code == 422 and r.json()["field"] == "cursor"


@pytest.mark.parametrize("method, path, allow", [
    ("TRACE", LISTING, "GET, HEAD, POST"),
    ("PUT", f"{LISTING}/x", "GET, HEAD, PATCH, DELETE"),
    ("POST", f"{LISTING}/x/document", "GET, PUT"),
    ("DELETE", "/api/v1/states", "GET"),
])
def test_an_undeclared_method_answers_405_naming_the_allowed_ones(client, callers, method, path,
                                                                  allow):
    r = client.request(method, path, headers=callers.ca_editor)
    assert r.status_code == 405 and r.headers["allow"] == allow
    assert r.headers["content-type"] == "application/problem+json"
    assert allow in r.json()["detail"]


def test_an_unknown_path_stays_404(client, callers):
    r = client.request("TRACE", "/api/v1/nothing-here", headers=callers.ca_editor)
    assert r.status_code == 404


def test_the_document_declares_problem_json_for_every_error(client):
    spec = client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    media_types = list(response["content"])
                    assert media_types == ["application/problem+json"], (method, path, status)


@pytest.mark.parametrize("if_match, status", [
    ("1", 200), ('"1"', 200), ('W/"1"', 200), ("*", 200), ('"2"', 412), ("one", 422),
    ('""1""', 422),
])
def test_if_match_takes_the_forms_the_document_gives(client, callers, add_employee, if_match,
                                                     status):
    e = add_employee()
    r = client.patch(f"{LISTING}/{e['id']}", json={"role": "Lead"},
                     headers=callers.ca_editor | {"If-Match": if_match})
    assert r.status_code == status, r.text


@pytest.mark.parametrize("salary, status", [
    ("55000.50", 200), (55000, 200), (55000.0, 200),
    ("1e3", 422), ("55,000", 422), (55000.5, 422), (True, 422),
])
def test_a_salary_is_written_as_the_document_says(client, callers, add_employee, salary, status):
    e = add_employee()
    r = client.patch(f"{LISTING}/{e['id']}", json={"salary": salary}, headers=callers.ca_editor)
    assert r.status_code == status, r.text
    if status == 422:
        assert r.json()["field"] == "salary"


def test_a_name_counts_its_spaces_against_the_limit(client, callers):
    spaced = "A" + " " * 100 + "B"  # 102 characters, 3 once its spaces collapse
    r = client.post(LISTING, data=FIELDS | {"last_name": spaced},
                    files={"document": ("id.pdf", PDF, "application/pdf")},
                    headers=callers.ca_editor)
    assert r.status_code == 422 and r.json()["field"] == "last_name"


@pytest.mark.parametrize("content, media_type", [
    (b"[1]", "application/json"),
    (b"{", "application/json"),
    (b"role=Lead", "application/x-www-form-urlencoded"),
])
def test_patch_takes_only_a_json_object(client, callers, add_employee, content, media_type):
    e = add_employee()
    url = f"{LISTING}/{e['id']}"
    r = client.patch(url, content=content,
                     headers=callers.ca_editor | {"Content-Type": media_type})
    assert r.status_code == 422 and "JSON object" in r.json()["detail"]
    assert client.get(url, headers=callers.ca_editor).json()["version"] == 1
