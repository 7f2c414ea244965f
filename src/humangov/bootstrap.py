"""Composition root: settings -> adapters -> services. The only module that picks adapters."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from humangov.accounts.service import Accounts
from humangov.adapters.clock import SystemClock
from humangov.config import Settings
from humangov.domain.auth import Principal
from humangov.domain.states import STATE_NAMES
from humangov.personnel.service import Personnel
from humangov.ports import AccountStore, BlobStore, Clock, ErasureOutbox, Ledger, RecordStore

TOKEN_CACHE_SECONDS = 10.0


@dataclass(frozen=True)
class EmbeddedStores:
    """Opens the embedded stores afresh, for a forked sweep worker: an SQLite connection
    must not cross a fork (https://www.sqlite.org/howtocorrupt.html, section 2.6)."""

    documents: Path
    database: Path

    @contextmanager
    def __call__(self) -> Iterator[tuple[BlobStore, RecordStore]]:
        from humangov.adapters.blobs.filesystem import FilesystemBlobStore
        from humangov.adapters.records.sqlite import SqliteRecordStore
        from humangov.adapters.sql import open_database

        # The parent migrated it; a worker walks the index once, so no memory-mapping.
        engine = open_database(self.database, migrate_to_head=False, memory_mapped=False)
        try:
            yield FilesystemBlobStore(self.documents), SqliteRecordStore(engine)
        finally:
            engine.dispose()


@dataclass
class Container:
    settings: Settings
    clock: Clock
    records: RecordStore
    blobs: BlobStore
    account_store: AccountStore
    outbox: ErasureOutbox
    ledger: Ledger
    engine: Any = None  # the SQLAlchemy engine of the embedded default
    # Reopens the blob and record stores in another process (the parallel sweep), if they can.
    open_stores: Callable[[], Any] | None = None
    personnel: Personnel = field(init=False)
    accounts: Accounts = field(init=False)
    # Called after a change that queued an erasure commits (wakes the in-process worker).
    change_listeners: list[Callable[[], None]] = field(default_factory=list)
    _tokens: dict[str, tuple[float, Principal | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.personnel = Personnel(
            self.records, self.blobs, self.clock, max_document_bytes=self.settings.max_document_bytes,
            erasure_queued=self.changed,
        )
        self.accounts = Accounts(self.account_store, self.clock)

    def changed(self) -> None:
        for listener in self.change_listeners:
            listener()

    def token_principal(self, token: str) -> Principal | None:
        """Resolve a bearer token, caching briefly so hot API paths skip the lookup."""
        now = time.monotonic()
        hit = self._tokens.get(token)
        if hit and hit[0] > now:
            return hit[1]
        principal = self.accounts.principal_for_token(token)
        if len(self._tokens) > 10_000:
            self._tokens.clear()
        self._tokens[token] = (now + TOKEN_CACHE_SECONDS, principal)
        return principal

    def provision_all_states(self) -> int:
        """Provision the 50 states; returns how many were new."""
        return sum(self.personnel.add_state(code) for code in STATE_NAMES)

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


def bootstrap(settings: Settings | None = None, *, clock: Clock | None = None) -> Container:
    settings = settings or Settings()
    clock = clock or SystemClock()
    if settings.backend == "aws":
        from humangov.aws.bootstrap import aws_adapters

        return Container(settings, clock, **aws_adapters(settings, clock))
    return _embedded(settings, clock)


def _embedded(settings: Settings, clock: Clock) -> Container:
    from humangov.adapters.accounts.sqlite import SqliteAccountStore
    from humangov.adapters.blobs.filesystem import FilesystemBlobStore
    from humangov.adapters.erasure import build_erasure_adapters
    from humangov.adapters.records.sqlite import SqliteRecordStore
    from humangov.adapters.sql import open_database

    engine = open_database(settings.database_path)
    outbox, ledger = build_erasure_adapters(engine, clock)
    return Container(
        settings, clock,
        records=SqliteRecordStore(engine, clock),
        blobs=FilesystemBlobStore(settings.documents_dir),
        account_store=SqliteAccountStore(engine),
        outbox=outbox, ledger=ledger, engine=engine,
        open_stores=EmbeddedStores(settings.documents_dir, settings.database_path),
    )


def in_memory(settings: Settings | None = None, *, clock: Clock | None = None) -> Container:
    """Working in-memory adapters, for tests and demos."""
    from humangov.adapters.accounts.memory import MemoryAccountStore
    from humangov.adapters.blobs.memory import MemoryBlobStore
    from humangov.adapters.erasure import build_memory_erasure_adapters
    from humangov.adapters.records.memory import MemoryRecordStore

    settings = settings or Settings(environment="test")
    clock = clock or SystemClock()
    outbox, ledger = build_memory_erasure_adapters(clock)
    return Container(
        settings, clock, records=MemoryRecordStore(on_change=outbox.enqueue), blobs=MemoryBlobStore(),
        account_store=MemoryAccountStore(), outbox=outbox, ledger=ledger,
    )
