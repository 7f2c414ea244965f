"""Adapter registries for the contract suite.

Each test takes `record_store`, `blob_store` or `account_store` and runs once per adapter.
A new adapter (DynamoDB, S3) joins by adding one factory to a registry below: a context
manager taking pytest's `tmp_path` and yielding the adapter (for records, a RecordHarness
that also reads back the document changes the store recorded). A factory may call
`pytest.skip` when what it needs is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from humangov.adapters.accounts.memory import MemoryAccountStore
from humangov.adapters.accounts.sqlite import SqliteAccountStore
from humangov.adapters.blobs.filesystem import FilesystemBlobStore
from humangov.adapters.blobs.memory import MemoryBlobStore
from humangov.adapters.records.memory import MemoryRecordStore
from humangov.adapters.records.sqlite import SqliteRecordStore
from humangov.adapters.sql import open_database
from humangov.domain.erasure import DocumentChange
from humangov.domain.model import DocumentRef
from humangov.ports import AccountStore, BlobStore, RecordStore


@dataclass
class RecordHarness:
    store: RecordStore
    changes: Callable[[], list[DocumentChange]]  # erasure intents recorded so far, oldest first


def sqlite_outbox(engine) -> Callable[[], list[DocumentChange]]:
    """Reads the erasure_outbox table back as DocumentChanges."""
    from datetime import datetime

    def read() -> list[DocumentChange]:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT change_id, state, employee_id, reason, old_document_id, old_key, old_size, "
                "old_sha256, new_document_id, new_key, actor, requested_at FROM erasure_outbox "
                "ORDER BY id"
            ).all()
        return [
            DocumentChange(
                r[0], r[1], r[2], r[3],
                DocumentRef(r[4], r[5], r[6], r[7]) if r[5] else None,
                # The outbox keeps only the new key and id: the planner never erases `new`.
                DocumentRef(r[8], r[9], 0, "") if r[9] else None,
                r[10], datetime.fromisoformat(r[11]),
            )
            for r in rows
        ]
    return read


@contextmanager
def memory_records(tmp_path: Path) -> Iterator[RecordHarness]:
    changes: list[DocumentChange] = []
    yield RecordHarness(MemoryRecordStore(on_change=changes.append), lambda: list(changes))


@contextmanager
def sqlite_records(tmp_path: Path) -> Iterator[RecordHarness]:
    engine = open_database(tmp_path / "db" / "humangov.db")
    try:
        yield RecordHarness(SqliteRecordStore(engine), sqlite_outbox(engine))
    finally:
        engine.dispose()


@contextmanager
def memory_blobs(tmp_path: Path) -> Iterator[BlobStore]:
    yield MemoryBlobStore()


@contextmanager
def filesystem_blobs(tmp_path: Path) -> Iterator[BlobStore]:
    yield FilesystemBlobStore(tmp_path / "documents")


@contextmanager
def memory_accounts(tmp_path: Path) -> Iterator[AccountStore]:
    yield MemoryAccountStore()


@contextmanager
def sqlite_accounts(tmp_path: Path) -> Iterator[AccountStore]:
    engine = open_database(tmp_path / "db" / "humangov.db")
    try:
        yield SqliteAccountStore(engine)
    finally:
        engine.dispose()


Factory = Callable[[Path], AbstractContextManager]

RECORD_STORES: dict[str, Factory] = {"memory": memory_records, "sqlite": sqlite_records}
BLOB_STORES: dict[str, Factory] = {"memory": memory_blobs, "filesystem": filesystem_blobs}
ACCOUNT_STORES: dict[str, Factory] = {"memory": memory_accounts, "sqlite": sqlite_accounts}


@pytest.fixture(params=list(RECORD_STORES))
def record_harness(request, tmp_path) -> Iterator[RecordHarness]:
    with RECORD_STORES[request.param](tmp_path) as harness:
        yield harness


@pytest.fixture
def record_store(record_harness) -> RecordStore:
    return record_harness.store


@pytest.fixture
def recorded_changes(record_harness) -> Callable[[], list[DocumentChange]]:
    return record_harness.changes


@pytest.fixture(params=list(BLOB_STORES))
def blob_store(request, tmp_path) -> Iterator[BlobStore]:
    with BLOB_STORES[request.param](tmp_path) as store:
        yield store


@pytest.fixture(params=list(ACCOUNT_STORES))
def account_store(request, tmp_path) -> Iterator[AccountStore]:
    with ACCOUNT_STORES[request.param](tmp_path) as store:
        yield store
