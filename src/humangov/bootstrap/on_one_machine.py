"""The embedded default: SQLite and local files under the data directory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from humangov.adapters.accounts.sqlite import SqliteAccountStore
from humangov.adapters.audit.sqlite import SqliteAuditLog
from humangov.adapters.blobs.filesystem import FilesystemBlobStore
from humangov.adapters.erasure.sqlite import SqliteLedger, SqliteOutbox
from humangov.adapters.holds.sqlite import SqliteHoldStore
from humangov.adapters.records.sqlite import SqliteRecordStore
from humangov.adapters.requests.sqlite import SqliteRequestStore
from humangov.adapters.retention.sqlite import SqliteSchedules
from humangov.adapters.sql import open_database
from humangov.bootstrap.container import Container
from humangov.config import Settings
from humangov.ports import BlobStore, Clock, RecordStore
from humangov.private_files import private_dir


@dataclass(frozen=True)
class EmbeddedStores:
    """Opens the embedded stores afresh, for a forked sweep worker: an SQLite connection
    must not cross a fork (https://www.sqlite.org/howtocorrupt.html, section 2.6)."""

    documents: Path
    database: Path

    @contextmanager
    def __call__(self) -> Iterator[tuple[BlobStore, RecordStore]]:
        # The parent migrated it; a worker walks the index once, so no memory-mapping.
        engine = open_database(self.database, migrate_to_head=False, memory_mapped=False)
        try:
            yield FilesystemBlobStore(self.documents), SqliteRecordStore(engine)
        finally:
            engine.dispose()


def embedded(settings: Settings, clock: Clock) -> Container:
    private_dir(settings.data_dir)  # records, accounts and secrets: the owner's alone
    engine = open_database(settings.database_path)
    records = SqliteRecordStore(engine, clock)

    def close() -> None:
        records.close()
        engine.dispose()

    return Container(
        settings, clock,
        records=records,
        blobs=FilesystemBlobStore(settings.documents_dir),
        account_store=SqliteAccountStore(engine),
        outbox=SqliteOutbox(engine, clock),
        ledger=SqliteLedger(engine),
        audit_log=SqliteAuditLog(engine),
        request_store=SqliteRequestStore(engine),
        schedules=SqliteSchedules(engine),
        hold_store=SqliteHoldStore(engine),
        open_stores=EmbeddedStores(settings.documents_dir, settings.database_path),
        on_close=close,
    )
