"""A failing documents store shows an error page that says what happened, not a trace."""

from __future__ import annotations

import errno
import os

from tests.api.test_storage_failures import FIELDS, files_under, fill_disk
from tests.conftest import PDF
from tests.web.conftest import form_post


def test_adding_an_employee_on_a_full_disk_shows_a_507_page_and_stores_nothing(
    users, web_container, monkeypatch
):
    fill_disk(monkeypatch, web_container)
    documents = web_container.settings.documents_dir
    before = files_under(documents)
    r = form_post(users.ca_editor, "/states/CA/employees/new",
                  files={"document": ("id.pdf", PDF, "application/pdf")},
                  **{**FIELDS, "last_name": "FullDisk"})
    assert r.status_code == 507
    assert r.headers["content-type"].startswith("text/html")
    assert "Document storage is full" in r.text and "Traceback" not in r.text
    assert files_under(documents) == before
    names = {e.last_name for e in web_container.personnel.list_employees("CA", limit=200).items}
    assert "FullDisk" not in names


def test_adding_an_employee_on_a_read_only_store_shows_a_503_page(
    users, web_container, monkeypatch
):
    fill_disk(monkeypatch, web_container, errno.EROFS)
    r = form_post(users.ca_editor, "/states/CA/employees/new",
                  files={"document": ("id.pdf", PDF, "application/pdf")}, **FIELDS)
    assert r.status_code == 503
    assert "Document storage is read-only" in r.text and "Traceback" not in r.text
    assert os.strerror(errno.EROFS) not in r.text  # the page speaks plainly, not in errno
