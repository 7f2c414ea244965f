"""SQLite legal holds: a row per hold, updated once, when it is released."""

from __future__ import annotations

from datetime import datetime

import orjson
import sqlalchemy as sa

from humangov.adapters.metadata import legal_holds as table
from humangov.adapters.sql import reading
from humangov.adapters.timecodec import from_text, to_text
from humangov.domain.holds import Hold


class SqliteHoldStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def add_hold(self, hold: Hold) -> None:
        with self.engine.begin() as conn:
            conn.execute(table.insert().values(
                id=hold.id, state=hold.state, matter=hold.matter,
                employee_ids=orjson.dumps(list(hold.employee_ids)).decode(),
                placed_by=hold.placed_by, placed_at=to_text(hold.placed_at)))

    def get_hold(self, hold_id: str) -> Hold | None:
        with reading(self.engine) as conn:
            row = conn.execute(sa.select(table).where(table.c.id == hold_id)).mappings().first()
        return _hold(row) if row else None

    def list_holds(self, state: str | None = None) -> list[Hold]:
        query = sa.select(table).order_by(table.c.placed_at, table.c.id)
        if state is not None:
            query = query.where(table.c.state == state)
        with reading(self.engine) as conn:
            return [_hold(r) for r in conn.execute(query).mappings()]

    def release_hold(self, hold_id: str, by: str, at: datetime) -> bool:
        with self.engine.begin() as conn:
            return conn.execute(table.update().where(
                table.c.id == hold_id, table.c.released_at.is_(None),
            ).values(released_by=by, released_at=to_text(at))).rowcount == 1


def _hold(r: sa.RowMapping) -> Hold:
    return Hold(
        id=r["id"], state=r["state"], matter=r["matter"],
        employee_ids=tuple(orjson.loads(r["employee_ids"])), placed_by=r["placed_by"],
        placed_at=from_text(r["placed_at"]), released_by=r["released_by"],
        released_at=from_text(r["released_at"]) if r["released_at"] else None,
    )
