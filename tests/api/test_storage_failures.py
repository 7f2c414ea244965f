"""Uploads when the documents store fails: a clear status, and nothing half-written."""

from __future__ import annotations

import errno
import os

import pytest

from tests.conftest import PDF
from tests.stored import stored_files

FIELDS = {"first_name": "Ada", "last_name": "Lovelace", "role": "Analyst", "salary": "85000"}


def upload(client, callers, state="CA"):
    return client.post(f"/api/v1/states/{state}/employees", data=FIELDS,
                       files={"document": ("id.pdf", PDF, "application/pdf")},
                       headers=callers.ca_editor)


files_under = stored_files


def fill_disk(monkeypatch, container, error=errno.ENOSPC):
    """The store's one low-level write fails with the kernel's real full-disk error, after
    part of the chunk landed."""

    def write(out, chunk):
        out.write(chunk[: len(chunk) // 2])
        out.flush()
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(container.blobs, "_write", write)


@pytest.fixture
def full_disk(container, monkeypatch):
    fill_disk(monkeypatch, container)


def test_an_upload_on_a_full_disk_is_507_and_stores_nothing(
    client, callers, container, settings, full_disk
):
    r = upload(client, callers)
    assert r.status_code == 507, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "Insufficient storage"
    assert "Document storage is full" in r.json()["detail"]
    assert "Free space" in r.json()["detail"]
    assert container.personnel.list_employees("CA").items == []
    assert files_under(settings.documents_dir) == []


def test_replacing_a_document_on_a_full_disk_is_507_and_keeps_the_old_one(
    client, callers, container, settings, add_employee, monkeypatch
):
    employee = add_employee()
    before = files_under(settings.documents_dir)
    fill_disk(monkeypatch, container, errno.EDQUOT)  # over quota: full, to this user
    r = client.put(f"/api/v1/states/CA/employees/{employee['id']}/document",
                   files={"document": ("id.pdf", PDF, "application/pdf")},
                   headers=callers.ca_editor)
    assert r.status_code == 507, r.text
    assert files_under(settings.documents_dir) == before
    assert container.personnel.get_employee("CA", employee["id"]).version == employee["version"]


def test_an_upload_to_a_state_whose_folder_is_missing_is_503_and_does_not_recreate_it(
    client, callers, container, settings
):
    # GIVEN CA's documents folder renamed away
    moved = settings.data_dir / "CA-moved"
    (settings.documents_dir / "CA").rename(moved)
    r = upload(client, callers)
    assert r.status_code == 503, r.text
    assert "The documents folder of CA is missing" in r.json()["detail"]
    assert not (settings.documents_dir / "CA").exists()
    assert files_under(moved) == []
    assert container.personnel.list_employees("CA").items == []


def test_provisioning_a_state_creates_its_documents_folder(container, settings):
    assert not (settings.documents_dir / "NY").exists()
    container.personnel.add_state("NY")
    assert (settings.documents_dir / "NY").is_dir()


def test_readyz_is_503_when_the_documents_disk_is_below_the_free_space_minimum(
    client, container
):
    container.settings.min_free_bytes = container.blobs.free_bytes() + 2**40
    r = client.get("/readyz")
    assert r.status_code == 503
    checks = r.json()["checks"]
    assert checks["database"] == "ok"
    assert checks["documents"].startswith("failing: only ")
    assert "MiB free on the documents disk" in checks["documents"]
    assert "HUMANGOV_MIN_FREE_BYTES" in checks["documents"]
