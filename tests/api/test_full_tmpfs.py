"""The documents folder on a real 1 MiB tmpfs that fills up: uploads answer 507 with nothing
half-written, /readyz says the disk is low, and erasing frees room for the next upload."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import PDF
from tests.stored import stored_files

FIELDS = {"first_name": "Ada", "last_name": "Lovelace", "role": "Analyst", "salary": "85000"}
SCAN = PDF + b"%" + b"0" * 60_000 + b"\n"  # a 60 KB scan: about sixteen fit
TMPFS_BYTES = 1024 * 1024


@pytest.fixture
def settings(tmp_path):
    from humangov.config import Settings

    documents = tmp_path / "var" / "documents"
    documents.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES}", "tmpfs",
                              str(documents)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield Settings(environment="test", data_dir=tmp_path / "var", monitoring=False,
                       max_document_bytes=128 * 1024, min_free_bytes=3 * len(SCAN))
    finally:
        subprocess.run(["umount", "--lazy", str(documents)], check=True)


def upload(client, callers):
    return client.post("/api/v1/states/CA/employees", data=FIELDS,
                       files={"document": ("id.pdf", SCAN, "application/pdf")},
                       headers=callers.ca_editor)


def test_a_filling_tmpfs_answers_507_keeps_nothing_half_written_and_recovers_after_erasure(
    client, callers, container, settings
):
    # GIVEN uploads until the disk is full
    stored = []
    for _ in range(TMPFS_BYTES // len(SCAN) + 2):
        r = upload(client, callers)
        if r.status_code != 201:
            break
        stored.append(r.json()["id"])
    # THEN the first upload that did not fit is a 507 saying the storage is full
    assert r.status_code == 507, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert "Document storage is full" in r.json()["detail"]
    # AND it left no record and no file: every file on disk is an acknowledged employee's
    page = container.personnel.list_employees("CA", limit=100)
    assert sorted(e.id for e in page.items) == sorted(stored)
    files = stored_files(settings.documents_dir)
    assert len(files) == len(stored) and all(f.endswith(".pdf") for f in files)
    # AND readiness says the documents disk is low
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "free on the documents disk" in ready.json()["checks"]["documents"]

    # WHEN three employees are deleted and their documents erased
    for employee_id in stored[:3]:
        assert client.delete(f"/api/v1/states/CA/employees/{employee_id}",
                             headers=callers.ca_editor).status_code == 204
    assert container.erasures.worker("test").drain() == 3
    # THEN each erasure has its receipt, and the next upload fits
    receipts, _ = container.erasures.receipts("CA", limit=10)
    assert sorted(r.result for r in receipts) == ["erased"] * 3
    assert upload(client, callers).status_code == 201
