"""Adapter registries for the contract suite.

Each test takes `record_store`, `blob_store`, `account_store`, `ledger` or `audit_log` and runs
once per adapter.
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
import sqlalchemy as sa

from humangov.adapters.accounts.memory import MemoryAccountStore
from humangov.adapters.accounts.sqlite import SqliteAccountStore
from humangov.adapters.audit.memory import MemoryAuditLog
from humangov.adapters.audit.sqlite import SqliteAuditLog
from humangov.adapters.blobs.filesystem import FilesystemBlobStore
from humangov.adapters.blobs.memory import MemoryBlobStore
from humangov.adapters.change_codec import change_from_row
from humangov.adapters.erasure.memory import MemoryLedger
from humangov.adapters.erasure.sqlite import SqliteLedger
from humangov.adapters.metadata import erasure_outbox
from humangov.adapters.records.memory import MemoryRecordStore
from humangov.adapters.records.sqlite import SqliteRecordStore
from humangov.adapters.requests.sqlite import SqliteRequestStore
from humangov.adapters.sql import open_database
from humangov.domain.erasure import DocumentChange
from humangov.ports import AccountStore, AuditLog, BlobStore, Ledger, RecordStore, RequestStore


@dataclass
class RecordHarness:
    store: RecordStore
    changes: Callable[[], list[DocumentChange]]  # erasure intents recorded so far, oldest first


def sqlite_outbox(engine) -> Callable[[], list[DocumentChange]]:
    """Reads the erasure_outbox table back as DocumentChanges."""
    def read() -> list[DocumentChange]:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(erasure_outbox).order_by(erasure_outbox.c.id)).mappings()
            return [change_from_row(r) for r in rows]
    return read


@contextmanager
def memory_records(tmp_path: Path) -> Iterator[RecordHarness]:
    changes: list[DocumentChange] = []
    yield RecordHarness(MemoryRecordStore(on_change=changes.append), lambda: list(changes))


@contextmanager
def sqlite_database(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = open_database(tmp_path / "db" / "humangov.db")
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def sqlite_records(tmp_path: Path) -> Iterator[RecordHarness]:
    with sqlite_database(tmp_path) as engine:
        yield RecordHarness(SqliteRecordStore(engine), sqlite_outbox(engine))


@contextmanager
def memory_blobs(tmp_path: Path) -> Iterator[BlobStore]:
    yield provisioned(MemoryBlobStore())


@contextmanager
def filesystem_blobs(tmp_path: Path) -> Iterator[BlobStore]:
    yield provisioned(FilesystemBlobStore(tmp_path / "documents"))


def provisioned(store: MemoryBlobStore | FilesystemBlobStore):
    """The store with CA and TX provisioned: a state's space exists only once provisioned
    (uploads never create it, deletes and listings of a missing one fail)."""
    for state in ("CA", "TX"):
        store.provision_state(state)
    return store


@contextmanager
def memory_accounts(tmp_path: Path) -> Iterator[AccountStore]:
    yield MemoryAccountStore()


@contextmanager
def sqlite_accounts(tmp_path: Path) -> Iterator[AccountStore]:
    with sqlite_database(tmp_path) as engine:
        yield SqliteAccountStore(engine)


@contextmanager
def memory_ledger(tmp_path: Path) -> Iterator[Ledger]:
    yield MemoryLedger()


@contextmanager
def sqlite_ledger(tmp_path: Path) -> Iterator[Ledger]:
    with sqlite_database(tmp_path) as engine:
        yield SqliteLedger(engine)


@contextmanager
def memory_audit_log(tmp_path: Path) -> Iterator[AuditLog]:
    yield MemoryAuditLog()


@contextmanager
def sqlite_audit_log(tmp_path: Path) -> Iterator[AuditLog]:
    with sqlite_database(tmp_path) as engine:
        yield SqliteAuditLog(engine)


@contextmanager
def sqlite_request_store(tmp_path: Path) -> Iterator[RequestStore]:
    with sqlite_database(tmp_path) as engine:
        yield SqliteRequestStore(engine)


Factory = Callable[[Path], AbstractContextManager]

RECORD_STORES: dict[str, Factory] = {"memory": memory_records, "sqlite": sqlite_records}
BLOB_STORES: dict[str, Factory] = {"memory": memory_blobs, "filesystem": filesystem_blobs}
ACCOUNT_STORES: dict[str, Factory] = {"memory": memory_accounts, "sqlite": sqlite_accounts}
LEDGERS: dict[str, Factory] = {"memory": memory_ledger, "sqlite": sqlite_ledger}
AUDIT_LOGS: dict[str, Factory] = {"memory": memory_audit_log, "sqlite": sqlite_audit_log}
REQUEST_STORES: dict[str, Factory] = {"sqlite": sqlite_request_store}


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


@pytest.fixture(params=list(LEDGERS))
def ledger(request, tmp_path) -> Iterator[Ledger]:
    with LEDGERS[request.param](tmp_path) as store:
        yield store


@pytest.fixture(params=list(AUDIT_LOGS))
def audit_log(request, tmp_path) -> Iterator[AuditLog]:
    with AUDIT_LOGS[request.param](tmp_path) as log:
        yield log


@pytest.fixture(params=list(REQUEST_STORES))
def request_store(request, tmp_path) -> Iterator[RequestStore]:
    with REQUEST_STORES[request.param](tmp_path) as store:
        yield store
