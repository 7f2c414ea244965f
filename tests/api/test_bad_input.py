"""Bad input gets a clear problem+json answer, and leaves no record and no file behind."""

from __future__ import annotations

import pytest

from tests.conftest import PDF
from tests.stored import stored_files

FIELDS = {"first_name": "Ada", "last_name": "Lovelace", "role": "Analyst", "salary": "85000"}


def nothing_left(client, callers, container):
    listed = client.get("/api/v1/states/CA/employees", headers=callers.admin).json()["items"]
    root = container.settings.documents_dir
    files = stored_files(root)
    return listed == [] and files == []


def post(client, callers, data=FIELDS, files=None, **kw):
    files = files if files is not None else {"document": ("id.pdf", PDF, "application/pdf")}
    return client.post(
        "/api/v1/states/CA/employees", data=data, files=files, headers=callers.ca_editor, **kw
    )


def test_a_document_that_is_not_a_pdf_is_refused_by_content_with_415(client, callers, container):
    # GIVEN a PNG named like a PDF
    r = post(
        client,
        callers,
        files={"document": ("id.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "application/pdf")},
    )
    assert r.status_code == 415
    assert r.headers["content-type"] == "application/problem+json"
    assert "not a PDF" in r.json()["detail"]
    assert nothing_left(client, callers, container)


def test_a_document_over_the_limit_is_refused_with_413(client, callers, container):
    big = PDF + b"0" * (container.settings.max_document_bytes + 1)
    r = post(client, callers, files={"document": ("id.pdf", big, "application/pdf")})
    assert r.status_code == 413 and "larger than the limit" in r.json()["detail"]
    assert nothing_left(client, callers, container)


def test_an_oversized_body_is_refused_from_its_declared_length(client, callers, container):
    r = client.post(
        "/api/v1/states/CA/employees",
        content=b"x" * 10,
        headers=callers.ca_editor
        | {"Content-Type": "multipart/form-data; boundary=b", "Content-Length": str(10**9)},
    )
    assert r.status_code == 413


@pytest.mark.parametrize(
    "salary, words", [("-1", "negative"), ("lots", "number"), ("1.234", "two decimal")]
)
def test_a_bad_salary_answers_422_naming_the_field(client, callers, container, salary, words):
    r = post(client, callers, data=FIELDS | {"salary": salary})
    assert r.status_code == 422
    assert r.json()["field"] == "salary" and words in r.json()["detail"]
    assert nothing_left(client, callers, container)


@pytest.mark.parametrize("missing", ["first_name", "last_name", "role", "salary"])
def test_a_missing_field_answers_422_naming_it(client, callers, container, missing):
    data = {k: v for k, v in FIELDS.items() if k != missing}
    r = post(client, callers, data=data)
    assert r.status_code == 422 and r.json()["field"] == missing
    assert nothing_left(client, callers, container)


@pytest.mark.parametrize("field, value", [
    ("first_name", "Null\x00Byte"), ("last_name", "Esc\x1b[2J"), ("role", "Del\x7fete"),
    ("last_name", "Evil\u202egnp.exe"), ("first_name", "Iso\u2068late"),
])
def test_control_and_direction_characters_answer_422_naming_the_field(
    client, callers, container, field, value
):
    r = post(client, callers, data=FIELDS | {field: value})
    assert r.status_code == 422 and r.json()["field"] == field
    assert "control or text-direction character" in r.json()["detail"]
    assert nothing_left(client, callers, container)
    # AND a change to an existing record is refused the same way
    created = post(client, callers).json()
    patch = client.patch(f"/api/v1/states/CA/employees/{created['id']}", json={field: value},
                         headers={**callers.ca_editor, "If-Match": '"1"'})
    assert patch.status_code == 422 and patch.json()["field"] == field


def test_a_missing_document_answers_422(client, callers, container):
    r = client.post(
        "/api/v1/states/CA/employees",
        data=FIELDS,
        files={"other": ("x", b"x")},
        headers=callers.ca_editor,
    )
    assert r.status_code == 422 and r.json()["field"] == "document"
    assert nothing_left(client, callers, container)


def test_malformed_multipart_answers_400(client, callers, container):
    r = client.post(
        "/api/v1/states/CA/employees",
        content=b"--nope\r\ngarbage",
        headers=callers.ca_editor | {"Content-Type": "multipart/form-data; boundary=zzz"},
    )
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert nothing_left(client, callers, container)


def test_unknown_state_and_employee_answer_404(client, callers):
    assert client.get("/api/v1/states/ZZ/employees", headers=callers.admin).status_code == 404
    assert (
        client.get("/api/v1/states/NY/employees", headers=callers.admin).status_code == 404
    )  # not provisioned
    assert (
        client.get("/api/v1/states/CA/employees/not-a-uuid", headers=callers.admin).status_code
        == 404
    )
    r = client.get(
        "/api/v1/states/CA/employees/00000000-0000-4000-8000-000000000000", headers=callers.admin
    )
    assert r.status_code == 404 and r.json()["detail"]


def test_a_failed_record_write_erases_the_uploaded_file_at_once(
    client, callers, container, monkeypatch
):
    # GIVEN the record store fails after the upload has been stored
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(container.records, "add_employee", broken)
    r = post(client, callers)
    # THEN the request fails and the compensation erased the file
    assert r.status_code == 500
    assert "disk full" not in r.text  # no internals leak
    monkeypatch.undo()
    assert nothing_left(client, callers, container)


def test_patch_rejects_unknown_and_null_fields(client, callers, add_employee):
    e = add_employee()
    url = f"/api/v1/states/CA/employees/{e['id']}"
    assert client.patch(url, json={"ssn": "1"}, headers=callers.ca_editor).status_code == 422
    assert client.patch(url, json={"role": None}, headers=callers.ca_editor).status_code == 422
    assert client.patch(url, json={"salary": "-5"}, headers=callers.ca_editor).status_code == 422
    assert (
        client.patch(
            url, json={"role": "x"}, headers=callers.ca_editor | {"If-Match": "abc"}
        ).status_code
        == 422
    )
