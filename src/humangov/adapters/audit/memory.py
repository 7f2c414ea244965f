"""In-memory audit log: a working fake with the SQLite log's semantics."""

from __future__ import annotations

import threading
from datetime import datetime

from humangov.adapters import cursors
from humangov.domain.audit import AuditEvent


class MemoryAuditLog:
    def __init__(self) -> None:
        self._events: list[AuditEvent] = []
        self._lock = threading.Lock()

    def append(self, event: AuditEvent) -> None:
        with self._lock:
            self._events.append(event)

    def events(
        self, *, limit: int, cursor: str | None, kind: str | None = None,
        state: str | None = None, since: datetime | None = None, subject: str | None = None,
    ) -> tuple[list[AuditEvent], str | None]:
        def matches(e: AuditEvent) -> bool:
            return (kind in (None, e.kind) and state in (None, e.state)
                    and subject in (None, e.subject) and (since is None or e.at >= since))

        with self._lock:
            return cursors.newest_first(self._events, matches, limit, cursor)
