"""Forms keep what was typed: every error at once beside its field, an oversized upload
answered on the form, and a form sent after its session ended carried through a new login."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from humangov.web.deps import SESSION_COOKIE
from tests.conftest import PDF
from tests.web.conftest import PASSWORD, csrf_of, form_post, log_in, web_app

BAD = {"first_name": "  ", "last_name": "\t", "role": " ", "salary": "-5"}
GOOD = {"first_name": "Grace", "last_name": "Hopper", "role": "Admiral", "salary": "91000"}


def pdf(size: int = 0):
    return {"document": ("id.pdf", PDF + b"0" * size, "application/pdf")}


def error_of(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    return match.group(1) if match else ""


def summary(html: str) -> str:
    match = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', html, re.S)
    assert match, "no error summary"
    return match.group(0)


def count(container) -> int:
    return len(container.personnel.list_employees("CA", limit=200).items)


def test_every_field_error_comes_back_at_once_with_what_was_typed(users, web_container):
    before = count(web_container)
    r = form_post(users.ca_editor, "/states/CA/employees/new",
                  files={"document": ("", b"", "application/octet-stream")}, **BAD)
    assert r.status_code == 422
    for field in ("first_name", "last_name", "role", "salary", "document"):
        assert error_of(r.text, field), field
        assert f'href="#{field}"' in summary(r.text)
    assert "negative" in error_of(r.text, "salary")
    assert 'value="-5"' in r.text and 'value="  "' in r.text
    assert "tabindex=\"-1\" autofocus" in summary(r.text)  # focus goes to it, no script needed
    assert "choose it again" in r.text
    assert count(web_container) == before


def test_the_size_limit_is_stated_beside_the_file_field(users):
    page = users.ca_editor.get("/states/CA/employees/new").text
    assert re.search(r'id="document-hint">A PDF file of at most 64 KiB\.', page)


@pytest.mark.parametrize("extra", [70 * 1024, 300 * 1024], ids=["in-the-store", "in-the-body"])
def test_an_oversized_pdf_comes_back_to_the_form_with_every_field_kept(
    users, web_container, extra
):
    before, keys = count(web_container), list(web_container.blobs.list("CA"))
    r = form_post(users.ca_editor, "/states/CA/employees/new", files=pdf(extra),
                  **{**GOOD, "salary": "-1"})
    assert r.status_code == 413
    assert "larger than the limit of 64 KiB" in error_of(r.text, "document")
    assert "negative" in error_of(r.text, "salary")  # and the other fields, at once
    for value in ("Grace", "Hopper", "Admiral", "-1"):
        assert f'value="{value}"' in r.text
    assert count(web_container) == before and list(web_container.blobs.list("CA")) == keys


def test_an_oversized_body_from_a_forged_form_is_refused(users):
    r = users.ca_editor.post("/states/CA/employees/new", data={**GOOD, "csrf_token": "forged"},
                             files=pdf(300 * 1024), follow_redirects=False)
    assert r.status_code == 403 and "Hopper" not in r.text


def test_the_edit_form_shows_every_error_at_once(users, add_employee):
    e = add_employee()
    page = f"/states/CA/employees/{e.id}/edit"
    r = form_post(users.ca_editor, page, version=str(e.version), **BAD)
    assert r.status_code == 422
    assert all(error_of(r.text, f) for f in ("first_name", "last_name", "role", "salary"))
    assert 'value="-5"' in r.text


@pytest.fixture
def editor(web_container):
    with TestClient(web_app(web_container), raise_server_exceptions=False) as c:
        assert log_in(c, "ca.editor@example.gov").status_code == 303
        yield c


def end_session(client: TestClient, container) -> None:
    """What an idle timeout does: the server forgets the session; the browser keeps its cookie."""
    container.accounts.end_session(client.cookies[SESSION_COOKIE])


def test_a_form_sent_after_the_session_ended_is_sent_after_logging_in(editor, web_container):
    token = csrf_of(editor.get("/states/CA/employees/new").text)
    end_session(editor, web_container)
    r = editor.post("/states/CA/employees/new", data={**GOOD, "csrf_token": token},
                    files=pdf(), follow_redirects=False)
    assert r.status_code == 401 and "Your session ended" in r.text
    assert 'name="draft.last_name" value="Hopper"' in r.text and "chosen again" in r.text
    assert token not in r.text  # the dead session's token is not carried
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', r.text))
    fields["email"], fields["password"] = "ca.editor@example.gov", PASSWORD
    resume = editor.post("/login", data=fields, follow_redirects=False)
    assert resume.status_code == 200 and "Hopper" in resume.text
    assert 'action="/states/CA/employees/new"' in resume.text
    carried = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                              resume.text.split('action="/states/CA/employees/new"')[1]))
    done = editor.post("/states/CA/employees/new", data=carried, files=pdf(),
                       follow_redirects=False)
    assert done.status_code == 303, done.text
    added = web_container.personnel.get_employee("CA", done.headers["location"].rsplit("/")[-1])
    assert (added.first_name, added.last_name, added.role) == ("Grace", "Hopper", "Admiral")


def test_an_edit_sent_after_the_session_ended_keeps_its_draft(editor, web_container, add_employee):
    e = add_employee()
    page = f"/states/CA/employees/{e.id}/edit"
    token = csrf_of(editor.get(page).text)
    end_session(editor, web_container)
    r = editor.post(page, data={**GOOD, "version": str(e.version), "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 401
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', r.text))
    fields["email"], fields["password"] = "ca.editor@example.gov", "wrong password"
    again = editor.post("/login", data=fields, follow_redirects=False)
    assert again.status_code == 400 and 'name="draft.role" value="Admiral"' in again.text
    fields["password"] = PASSWORD
    resume = editor.post("/login", data=fields, follow_redirects=False)
    carried = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                              resume.text.split(f'action="{page}"')[1]))
    assert editor.post(page, data=carried, follow_redirects=False).status_code == 303
    assert web_container.personnel.get_employee("CA", e.id).role == "Admiral"


def test_a_stranger_posting_a_form_is_sent_to_log_in(users):
    r = users.nobody.post("/states/CA/employees/new", data=GOOD, follow_redirects=False)
    assert r.status_code == 303 and "Hopper" not in r.text
