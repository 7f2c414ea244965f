"""Retention schedules in humangov.db (table `retention_schedules`)."""

from __future__ import annotations

import sqlalchemy

from humangov.adapters.timecodec import from_text, to_text
from humangov.domain.retention import Schedule

COLUMNS = "state, document_years, record_years, set_by, set_at"


class SqliteSchedules:
    def __init__(self, engine: sqlalchemy.Engine):
        self.engine = engine

    def schedule(self, state: str) -> Schedule | None:
        with self.engine.connect() as conn:
            row = conn.exec_driver_sql(
                f"SELECT {COLUMNS} FROM retention_schedules WHERE state = ?", (state,)).first()
        return _schedule(tuple(row)) if row is not None else None

    def set_schedule(self, schedule: Schedule) -> None:
        assert schedule.set_by is not None and schedule.set_at is not None
        with self.engine.begin() as conn:
            conn.exec_driver_sql(
                f"INSERT OR REPLACE INTO retention_schedules ({COLUMNS}) VALUES (?,?,?,?,?)",
                (schedule.state, schedule.document_years, schedule.record_years,
                 schedule.set_by, to_text(schedule.set_at)))

    def schedules(self) -> list[Schedule]:
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                f"SELECT {COLUMNS} FROM retention_schedules ORDER BY state").all()
        return [_schedule(tuple(r)) for r in rows]


def _schedule(row: tuple) -> Schedule:
    state, document_years, record_years, set_by, set_at = row
    return Schedule(state, document_years, record_years, set_by, from_text(set_at))
