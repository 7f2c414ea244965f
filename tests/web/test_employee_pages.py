"""Adding, editing, replacing and deleting through the pages, and how errors are shown."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PDF
from tests.web.conftest import csrf_of, form_post

FIELDS = {
    "first_name": "Katherine",
    "last_name": "Johnson",
    "role": "Mathematician",
    "salary": "72000.50",
}


def files(content=PDF, name="id.pdf"):
    return {"document": (name, content, "application/pdf")}


def stored_keys(container, state="CA"):
    return [b.key for b in container.blobs.list(state)]


def names(container, state="CA"):
    return {e.last_name for e in container.personnel.list_employees(state, limit=200).items}


def test_adding_an_employee_stores_the_record_and_the_document(users, web_container):
    r = form_post(users.ca_editor, "/states/CA/employees/new", files=files(), **FIELDS)
    assert r.status_code == 303
    employee_id = r.headers["location"].rsplit("/", 1)[-1]
    e = web_container.personnel.get_employee("CA", employee_id)
    assert (e.first_name, e.role, str(e.salary)) == ("Katherine", "Mathematician", "72000.50")
    assert e.document.key in stored_keys(web_container)
    page = users.ca_editor.get(r.headers["location"])
    assert (
        "Employee added." in page.text
        and e.document.sha256 in page.text
        and "$72,000.50" in page.text
    )
    assert (
        "Employee added." not in users.ca_editor.get(r.headers["location"]).text
    )  # a flash shows once


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("salary", "-5", "salary cannot be negative"),
        ("salary", "lots", "salary must be a number"),
        ("first_name", "   ", "first_name is required"),
    ],
)
def test_an_invalid_field_is_shown_next_to_it_with_the_input_kept(
    users, web_container, field, value, message
):
    before = stored_keys(web_container)
    r = form_post(
        users.ca_editor, "/states/CA/employees/new", files=files(), **{**FIELDS, field: value}
    )
    assert r.status_code == 422
    assert re.search(rf'id="{field}-error">[^<]*{message}', r.text)
    assert 'aria-invalid="true"' in r.text
    assert 'value="Mathematician"' in r.text  # the other input is kept
    assert stored_keys(web_container) == before


@pytest.mark.parametrize(
    "content, status, message",
    [
        (b"GIF89a not a pdf", 415, "not a PDF"),
        (b"%PDF-1.4\n" + b"0" * (70 * 1024), 413, "larger than the limit"),
    ],
)
def test_a_rejected_upload_leaves_no_record_and_no_file(
    users, web_container, content, status, message
):
    before_keys, before_names = stored_keys(web_container), names(web_container)
    r = form_post(
        users.ca_editor,
        "/states/CA/employees/new",
        files=files(content),
        **{**FIELDS, "last_name": "Rejected"},
    )
    assert r.status_code == status
    assert 'id="document-error"' in r.text and message in r.text
    assert "Rejected" not in names(web_container)
    assert stored_keys(web_container) == before_keys
    assert names(web_container) == before_names


def test_a_missing_document_is_asked_for(users, web_container):
    r = form_post(users.ca_editor, "/states/CA/employees/new", files=files(b"", name=""), **FIELDS)
    assert r.status_code == 422 and "Choose the scanned ID document" in r.text


def test_editing_the_salary_is_saved_and_kept_in_the_history(users, web_container, add_employee):
    e = add_employee()
    r = form_post(
        users.ca_editor,
        f"/states/CA/employees/{e.id}/edit",
        first_name="Ada",
        last_name="Lovelace",
        role="Analyst",
        salary="91000",
        version="1",
    )
    assert r.status_code == 303 and r.headers["location"] == f"/states/CA/employees/{e.id}"
    assert str(web_container.personnel.get_employee("CA", e.id).salary) == "91000.00"
    history = users.ca_editor.get(f"/states/CA/employees/{e.id}/history").text
    assert re.search(r"salary</th><td>85000.00</td><td>91000.00</td>", history)
    assert "ca.editor@example.gov" in history


def test_the_history_names_a_role_change_and_shows_the_states_local_time(
    users, web_container, add_employee
):
    e = add_employee()
    web_container.personnel.update_employee("CA", e.id, {"role": "Director"}, "user:other")
    history = users.ca_viewer.get(f"/states/CA/employees/{e.id}/history").text
    assert "<strong>Role changed</strong>" in history and "Moved" not in history
    # California's clock, named, with the UTC instant on hover
    assert re.search(r'<time datetime="[^"]+" title="[0-9-]+ [0-9:]+ UTC">'
                     r"[0-9-]+ [0-9:]+ P[SD]T</time>", history)


def test_editing_a_record_someone_else_changed_says_so_and_keeps_the_input(
    users, web_container, add_employee
):
    e = add_employee()
    page = users.ca_editor.get(f"/states/CA/employees/{e.id}/edit")
    web_container.personnel.update_employee("CA", e.id, {"role": "Director"}, "user:other")
    r = users.ca_editor.post(
        f"/states/CA/employees/{e.id}/edit",
        follow_redirects=False,
        data={
            "csrf_token": csrf_of(page.text),
            "version": "1",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "role": "Analyst",
            "salary": "1",
        },
    )
    assert r.status_code == 409
    assert "Someone else changed this record" in r.text and 'value="1"' in r.text
    after = web_container.personnel.get_employee("CA", e.id)
    assert (after.role, str(after.salary)) == ("Director", "85000.00")


def test_an_invalid_edit_shows_the_error_and_changes_nothing(users, web_container, add_employee):
    e = add_employee()
    r = form_post(
        users.ca_editor,
        f"/states/CA/employees/{e.id}/edit",
        first_name="Ada",
        last_name="Lovelace",
        role="Analyst",
        salary="12.345",
        version="1",
    )
    assert r.status_code == 422 and 'id="salary-error"' in r.text and 'value="12.345"' in r.text
    assert web_container.personnel.get_employee("CA", e.id).version == 1


def test_replacing_the_document_swaps_the_file(users, web_container, add_employee):
    e = add_employee()
    new_pdf = PDF + b"% a new scan\n"
    r = form_post(
        users.ca_editor, f"/states/CA/employees/{e.id}/document", files=files(new_pdf), version="1"
    )
    assert r.status_code == 303
    after = web_container.personnel.get_employee("CA", e.id)
    assert after.document.key != e.document.key and after.document.size == len(new_pdf)
    assert users.ca_editor.get(f"/states/CA/employees/{e.id}/document/download").content == new_pdf


def test_replacing_with_a_non_pdf_keeps_the_old_document(users, web_container, add_employee):
    e = add_employee()
    before = stored_keys(web_container)
    r = form_post(
        users.ca_editor,
        f"/states/CA/employees/{e.id}/document",
        files=files(b"<html>"),
        version="1",
    )
    assert r.status_code == 415 and 'id="document-error"' in r.text
    assert web_container.personnel.get_employee("CA", e.id).document == e.document
    assert stored_keys(web_container) == before


def test_the_pdf_is_served_inline_in_a_sandbox_or_as_a_download(users, add_employee):
    e = add_employee()
    view = users.ca_viewer.get(f"/states/CA/employees/{e.id}/document/view")
    assert view.content == PDF and view.headers["content-type"] == "application/pdf"
    assert view.headers["content-disposition"].startswith("inline")
    assert view.headers["content-security-policy"] == "sandbox"
    assert view.headers["x-content-type-options"] == "nosniff"
    download = users.ca_viewer.get(f"/states/CA/employees/{e.id}/document/download")
    assert download.content == PDF and download.headers["content-disposition"].startswith(
        "attachment"
    )


def test_deleting_after_confirmation_removes_the_record(users, web_container, add_employee):
    e = add_employee(last_name="Deleteme")
    confirm = users.ca_editor.get(f"/states/CA/employees/{e.id}/delete")
    assert "cannot be undone" in confirm.text and "Deleteme" in names(web_container)
    r = users.ca_editor.post(
        f"/states/CA/employees/{e.id}/delete",
        follow_redirects=False,
        data={"csrf_token": csrf_of(confirm.text), "version": "1"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/states/CA"
    assert "Deleteme" not in names(web_container)
    listing = users.ca_editor.get("/states/CA")
    assert "Employee record deleted" in listing.text and "Deleteme" not in listing.text
    assert users.ca_editor.get(f"/states/CA/employees/{e.id}").status_code == 404


def test_deleting_a_record_changed_meanwhile_asks_again(users, web_container, add_employee):
    e = add_employee()
    confirm = users.ca_editor.get(f"/states/CA/employees/{e.id}/delete")
    web_container.personnel.update_employee("CA", e.id, {"salary": "1"}, "user:other")
    r = users.ca_editor.post(
        f"/states/CA/employees/{e.id}/delete",
        follow_redirects=False,
        data={"csrf_token": csrf_of(confirm.text), "version": "1"},
    )
    assert r.status_code == 409 and "Someone else changed this record" in r.text
    assert web_container.personnel.get_employee("CA", e.id).version == 2


def test_the_list_searches_pages_and_hides_synthetic_records(users, web_container):
    import io

    for i in range(55):
        web_container.personnel.add_employee(
            "TX",
            {"first_name": f"P{i:02}", "last_name": "Pager", "role": "Clerk", "salary": "1"},
            io.BytesIO(PDF),
            "user:test",
        )
    web_container.personnel.add_employee(
        "TX",
        {"first_name": "Canary", "last_name": "Synthetic", "role": "Clerk", "salary": "1"},
        io.BytesIO(PDF),
        "user:test",
        synthetic=True,
    )
    first = users.tx_editor.get("/states/TX", params={"q": "clerk"})
    assert first.text.count("Pager, P") == 50 and "Synthetic" not in first.text
    next_url = re.search(r'href="([^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    second = users.tx_editor.get(next_url)
    assert (
        second.text.count("Pager, P") == 5
        and 'rel="next"' not in second.text
        and "First page" in second.text
    )
    assert (
        "No employee matches"
        in users.tx_editor.get("/states/TX", params={"q": "nobody-like-this"}).text
    )
