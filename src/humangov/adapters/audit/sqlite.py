"""SQLite audit log: rows are inserted, never updated or deleted (like erasure_receipts)."""

from __future__ import annotations

from datetime import datetime

import orjson
import sqlalchemy as sa

from humangov.adapters import cursors
from humangov.adapters.metadata import audit_events as table
from humangov.adapters.sql import reading
from humangov.adapters.timecodec import from_text, to_text
from humangov.domain.audit import AuditEvent


class SqliteAuditLog:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def append(self, event: AuditEvent) -> None:
        with self.engine.begin() as conn:
            conn.execute(table.insert().values(
                at=to_text(event.at), kind=event.kind, actor=event.actor, state=event.state,
                subject=event.subject, client=event.client,
                detail=orjson.dumps(event.detail).decode()))

    def events(
        self, *, limit: int, cursor: str | None, kind: str | None = None,
        state: str | None = None, since: datetime | None = None, subject: str | None = None,
    ) -> tuple[list[AuditEvent], str | None]:
        query = sa.select(table)
        for column, value in ((table.c.kind, kind), (table.c.state, state),
                              (table.c.subject, subject)):
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(table.c.at >= to_text(since))
        if cursor:
            query = query.where(table.c.id < cursors.decode(cursor, cursors.row_id))
        with reading(self.engine) as conn:
            rows = conn.execute(query.order_by(table.c.id.desc()).limit(limit + 1)).mappings().all()
        page = rows[:limit]
        nxt = cursors.encode(page[-1]["id"]) if len(rows) > limit else None
        return [_event(r) for r in page], nxt


def _event(r: sa.RowMapping) -> AuditEvent:
    return AuditEvent(at=from_text(r["at"]), kind=r["kind"], actor=r["actor"], state=r["state"],
                      subject=r["subject"], client=r["client"], detail=orjson.loads(r["detail"]))
