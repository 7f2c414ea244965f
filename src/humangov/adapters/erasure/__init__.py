"""Erasure adapters: the outbox's reading side and the receipt ledger."""

from __future__ import annotations

import sqlalchemy as sa

from humangov.adapters.erasure.memory import MemoryLedger, MemoryOutbox


def build_erasure_adapters(engine: sa.Engine, clock=None):
    """(outbox, ledger) on the embedded SQLite database (migrated to head by open_database)."""
    from humangov.adapters.erasure.sqlite import SqliteLedger, SqliteOutbox

    return SqliteOutbox(engine, clock), SqliteLedger(engine)


def build_memory_erasure_adapters(clock=None) -> tuple[MemoryOutbox, MemoryLedger]:
    """(outbox, ledger) in memory. Wire the memory RecordStore's `on_change` to `outbox.enqueue`."""
    return MemoryOutbox(clock), MemoryLedger()
