"""A state's documents folder carries its identity: with the folder renamed away, erasures
retry instead of being receipted 'already absent', sweeps fail for that state, `serve` does
not recreate it and /readyz names it; folders of an earlier release are adopted."""

from __future__ import annotations

import tarfile
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from humangov.adapters.blobs.filesystem import MARKER, FilesystemBlobStore
from humangov.adapters.erasure import build_erasure_adapters
from humangov.bootstrap.serve import server
from humangov.cli import app as cli
from humangov.config import Settings
from humangov.domain.errors import StorageUnavailable
from humangov.erasure.sweep import scan
from humangov.erasure.worker import ErasureWorker

from .conftest import add, make_employee

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture
def world(tmp_path, engine, sql_records, clock):
    # Enough attempts that an hour-long move-away stays pending rather than dead.
    settings = Settings(environment="test", data_dir=tmp_path, erasure_max_attempts=20,
                        erasure_base_backoff_seconds=1, erasure_max_backoff_seconds=10)
    blobs = FilesystemBlobStore(tmp_path / "documents")
    blobs.provision_state("CA")
    outbox, ledger = build_erasure_adapters(engine, clock)
    return ErasureWorker(outbox, blobs, sql_records, ledger, clock, settings, "w1")


def test_a_folder_renamed_away_during_deletes_is_never_receipted_then_erased_once_back(
    world, clock, tmp_path
):
    # GIVEN six employees with documents in CA, two of them deleted and erased
    folder, moved = tmp_path / "documents" / "CA", tmp_path / "CA-moved"
    staff = [add(world.records, make_employee(blobs=world.blobs)) for _ in range(6)]
    for emp in staff[:2]:
        world.records.delete_employee("CA", emp.id, "admin@ca")
    assert world.drain() == 2
    # WHEN the folder is renamed away while the other four are deleted
    folder.rename(moved)
    for emp in staff[2:]:
        world.records.delete_employee("CA", emp.id, "admin@ca")
    # THEN however long the worker retries, no receipt is written and nothing is dead
    for _ in range(5):
        world.run_once()
        clock.advance(11)
    receipts = world.ledger.receipts("CA", limit=50, cursor=None)[0]
    assert [r.result for r in receipts] == ["erased", "erased"]
    assert world.outbox.pending_count("CA") == 4 and world.outbox.dead_letters() == []
    assert not folder.exists()  # nothing recreated it
    # AND a sweep fails for CA rather than report every record as dangling
    with pytest.raises(StorageUnavailable, match="The documents folder of CA is missing"):
        scan("CA", blobs=world.blobs, records=world.records, now=clock.now(),
             grace=timedelta(0))
    # WHEN it is renamed back THEN every file is erased, each with an 'erased' receipt
    moved.rename(folder)
    clock.advance(11)
    assert world.drain() == 4
    receipts = world.ledger.receipts("CA", limit=50, cursor=None)[0]
    assert sorted(r.key for r in receipts) == sorted(e.document.key for e in staff)
    assert {r.result for r in receipts} == {"erased"}
    assert not any(world.blobs.exists("CA", e.document.key) for e in staff)
    assert world.outbox.pending_count() == 0


def start(data_dir: Path) -> tuple[TestClient, object]:
    """`serve`'s start-up (states provisioned, first admin), without its background jobs."""
    app, container = server(Settings(environment="test", data_dir=data_dir, monitoring=False,
                                     admin_password="a long enough password"),
                            announce=lambda _: None)
    return TestClient(app, raise_server_exceptions=False), container


def test_a_restart_with_a_state_folder_missing_does_not_recreate_it_and_readyz_names_it(
    tmp_path, caplog
):
    # GIVEN a data dir `serve` provisioned, whose CA folder is then moved away
    _, container = start(tmp_path)
    container.close()
    documents = tmp_path / "documents"
    (documents / "CA").rename(tmp_path / "CA-moved")
    # WHEN `serve` starts again
    client, container = start(tmp_path)
    try:
        # THEN the folder is not recreated, the log says so, and /readyz names the state
        assert not (documents / "CA").exists()
        assert (documents / "TX" / MARKER).exists()
        assert "The documents folder of CA is missing" in caplog.text
        r = client.get("/readyz")
        assert r.status_code == 503
        detail = r.json()["checks"]["documents"]
        assert detail.startswith("failing: the document stores of 1 state(s) are unavailable: CA:")
        assert "--recreate-missing-store" in detail
        # AND the scan of CA fails with that reason, while TX's works
        result = CliRunner().invoke(cli, ["orphans", "scan", "--all", "--data-dir", tmp_path],
                                    env={"COLUMNS": "200"})
        assert result.exit_code == 1
        assert result.stderr.strip().startswith("error: CA: The documents folder of CA is missing")
        assert "TX: 0 files, 0 records scanned" in result.stdout
        # WHEN the operator restores it THEN the store is ready again
        (tmp_path / "CA-moved").rename(documents / "CA")
        assert client.get("/readyz").status_code == 200
    finally:
        container.close()


def test_the_operator_recreates_a_lost_folder_only_by_asking(tmp_path):
    _, container = start(tmp_path)
    container.close()
    (tmp_path / "documents" / "CA").rename(tmp_path / "CA-lost")
    args = ["states", "add", "CA", "--data-dir", str(tmp_path)]
    refused = CliRunner().invoke(cli, args, env={"COLUMNS": "200"})
    assert refused.exit_code == 1 and "--recreate-missing-store" in refused.stderr
    assert not (tmp_path / "documents" / "CA").exists()
    done = CliRunner().invoke(cli, [*args, "--recreate-missing-store"])
    assert done.exit_code == 0 and "CA: already provisioned" in done.stdout
    assert (tmp_path / "documents" / "CA" / MARKER).exists()


def test_folders_of_an_earlier_release_are_adopted_on_start(tmp_path):
    # GIVEN a data dir of release 0.1, whose state folders carry no marker
    with tarfile.open(FIXTURES / "release-0.1-data-dir.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    assert not (tmp_path / "documents" / "CA" / MARKER).exists()
    # WHEN `serve` starts on it
    client, container = start(tmp_path)
    try:
        # THEN CA's folder is marked as CA's, its documents are where they were, all is ready
        assert (tmp_path / "documents" / "CA" / MARKER).exists()
        [employee] = container.personnel.list_employees("CA").items
        _, chunks = container.personnel.open_document("CA", employee.id)
        assert b"".join(chunks).startswith(b"%PDF")
        assert client.get("/readyz").status_code == 200
    finally:
        container.close()
