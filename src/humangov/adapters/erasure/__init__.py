"""Erasure adapters: the outbox's reading side and the receipt ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from humangov.adapters.erasure.memory import MemoryLedger, MemoryOutbox
from humangov.ports import Clock

if TYPE_CHECKING:
    from humangov.adapters.erasure.sqlite import SqliteLedger, SqliteOutbox


def build_erasure_adapters(engine: sa.Engine,
                           clock: Clock | None = None) -> tuple[SqliteOutbox, SqliteLedger]:
    """(outbox, ledger) on the embedded SQLite database (migrated to head by open_database)."""
    from humangov.adapters.erasure.sqlite import SqliteLedger, SqliteOutbox

    return SqliteOutbox(engine, clock), SqliteLedger(engine)


def build_memory_erasure_adapters(clock: Clock | None = None) -> tuple[MemoryOutbox, MemoryLedger]:
    """(outbox, ledger) in memory. Wire the memory RecordStore's `on_change` to `outbox.enqueue`."""
    return MemoryOutbox(clock), MemoryLedger()
