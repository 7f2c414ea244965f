"""The run store on SQLite (its own file, `<data_dir>/monitoring.db`), via SQLAlchemy Core.

The tables are declared below; the Alembic revisions in migrations/monitoring create them.
Runs store times as UTC epoch seconds (REAL).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    REAL,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    RowMapping,
    Table,
    Text,
    text,
)

from humangov.adapters.sql import open_sqlite, reading
from humangov.monitoring.results import RunResult, StepResult
from humangov.monitoring.rollup import Aggregate, Sample
from humangov.monitoring.store import ArtifactRun, RunStore

metadata = MetaData()

# `save` inserts by position: keep the column order.
runs = Table(
    "runs", metadata,
    # Declared as the first release created it: SQLite lets a TEXT primary key hold NULL.
    Column("id", Text, primary_key=True, nullable=True),
    Column("check_name", Text, nullable=False),
    Column("check_type", Text, nullable=False, server_default=text("''")),
    Column("status", Text, nullable=False),
    Column("started_at", REAL, nullable=False),
    Column("scheduled_at", REAL),
    Column("duration_ms", REAL, nullable=False),
    Column("error", Text, nullable=False, server_default=text("''")),
    Column("failing_step", Text),
    Column("trigger", Text, nullable=False, server_default=text("'scheduled'")),
    Column("synthetic_ids", Text, nullable=False, server_default=text("'[]'")),
    Index("runs_by_check", "check_name", "id"),
    Index("runs_by_check_time", "check_name", "started_at"),
)
steps = Table(
    "steps", metadata,
    Column("run_id", Text, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("duration_ms", REAL, nullable=False),
    Column("error", Text, nullable=False, server_default=text("''")),
)
artifacts = Table(
    "artifacts", metadata,
    Column("run_id", Text, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("path", Text, nullable=False),
)
rollups = Table(
    "rollups", metadata,
    Column("check_name", Text, primary_key=True),
    Column("period", Text, primary_key=True),
    Column("start", REAL, primary_key=True),
    Column("total", Integer, nullable=False),
    Column("ok", Integer, nullable=False),
    Column("sum_ms", REAL, nullable=False),
    Column("p50_ms", REAL),
    Column("p95_ms", REAL),
    Column("max_ms", REAL),
)


class SqliteRunStore(RunStore):
    def __init__(self, path: Path, **kw: Any) -> None:
        super().__init__(**kw)
        self.engine = open_sqlite(Path(path), "monitoring")

    def close(self) -> None:
        self.engine.dispose()

    # -- runs --------------------------------------------------------------------------------
    def save(self, result: RunResult) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(
                "INSERT OR REPLACE INTO runs VALUES (:id, :check, :type, :status, :started, "
                ":scheduled, :duration, :error, :failing, :trigger, :synthetic)"
            ), {
                "id": result.run_id, "check": result.check, "type": result.check_type,
                "status": result.status, "started": result.started_at.timestamp(),
                "scheduled": result.scheduled_at.timestamp() if result.scheduled_at else None,
                "duration": result.duration_ms, "error": result.error,
                "failing": result.failing_step, "trigger": result.trigger,
                "synthetic": json.dumps(list(result.synthetic_ids)),
            })
            if result.steps:
                conn.execute(text(
                    "INSERT INTO steps VALUES (:run, :seq, :name, :status, :ms, :error)"
                ), [
                    {"run": result.run_id, "seq": i, "name": s.name, "status": s.status,
                     "ms": s.duration_ms, "error": s.error} for i, s in enumerate(result.steps)
                ])
            if result.artifacts:
                conn.execute(text("INSERT INTO artifacts VALUES (:run, :seq, :path)"), [
                    {"run": result.run_id, "seq": i, "path": p}
                    for i, p in enumerate(result.artifacts)
                ])

    def get_run(self, run_id: str) -> RunResult | None:
        with reading(self.engine) as conn:
            row = conn.execute(
                text("SELECT * FROM runs WHERE id = :id"), {"id": run_id}
            ).mappings().first()
            return self._hydrate(conn, [row])[0] if row else None

    def list_runs(self, check: str, *, limit: int = 50,
                  cursor: str | None = None) -> tuple[list[RunResult], str | None]:
        sql = "SELECT * FROM runs WHERE check_name = :check"
        if cursor:
            sql += " AND id < :cursor"
        sql += " ORDER BY id DESC LIMIT :limit"
        with reading(self.engine) as conn:
            rows = conn.execute(
                text(sql), {"check": check, "cursor": cursor, "limit": limit + 1}
            ).mappings().all()
            runs = self._hydrate(conn, rows[:limit])
        return runs, (runs[-1].run_id if len(rows) > limit else None)

    def _hydrate(self, conn: Connection, rows: Sequence[RowMapping]) -> list[RunResult]:
        if not rows:
            return []
        ids = {"ids": [r["id"] for r in rows]}
        steps: dict[str, list[StepResult]] = {}
        arts: dict[str, list[str]] = {}
        for s in conn.execute(text("SELECT * FROM steps WHERE run_id IN "
                                   "(SELECT value FROM json_each(:ids)) ORDER BY run_id, seq"),
                              {"ids": json.dumps(ids["ids"])}).mappings():
            steps.setdefault(s["run_id"], []).append(
                StepResult(s["name"], s["status"], s["duration_ms"], s["error"]))
        for a in conn.execute(text("SELECT * FROM artifacts WHERE run_id IN "
                                   "(SELECT value FROM json_each(:ids)) ORDER BY run_id, seq"),
                              {"ids": json.dumps(ids["ids"])}).mappings():
            arts.setdefault(a["run_id"], []).append(a["path"])
        return [
            RunResult(
                check=r["check_name"], check_type=r["check_type"], status=r["status"],
                started_at=datetime.fromtimestamp(r["started_at"], UTC),
                duration_ms=r["duration_ms"], steps=tuple(steps.get(r["id"], ())),
                error=r["error"], failing_step=r["failing_step"],
                artifacts=tuple(arts.get(r["id"], ())),
                scheduled_at=(datetime.fromtimestamp(r["scheduled_at"], UTC)
                              if r["scheduled_at"] is not None else None),
                synthetic_ids=tuple(json.loads(r["synthetic_ids"])), run_id=r["id"],
                trigger=r["trigger"],
            )
            for r in rows
        ]

    def check_names(self) -> list[str]:
        with reading(self.engine) as conn:
            return [r[0] for r in conn.execute(text(
                "SELECT check_name FROM runs UNION SELECT check_name FROM rollups ORDER BY 1"))]

    def _samples(self, check: str, since: float, until: float) -> list[Sample]:
        with reading(self.engine) as conn:
            return [Sample(r[0], r[1] == "ok", r[2]) for r in conn.execute(text(
                "SELECT started_at, status, duration_ms FROM runs WHERE check_name = :c "
                "AND started_at >= :a AND started_at < :b"), {"c": check, "a": since, "b": until})]

    # -- rollups and retention ---------------------------------------------------------------
    def _rollups(self, check: str, period: str, since: float, until: float) -> list[Aggregate]:
        with reading(self.engine) as conn:
            return [_agg(r) for r in conn.execute(text(
                "SELECT * FROM rollups WHERE check_name = :c AND period = :p AND start >= :a "
                "AND start < :b ORDER BY start"),
                {"c": check, "p": period, "a": since, "b": until}).mappings()]

    def _get_rollup(self, check: str, period: str, start: float) -> Aggregate | None:
        with reading(self.engine) as conn:
            row = conn.execute(text("SELECT * FROM rollups WHERE check_name = :c "
                                    "AND period = :p AND start = :s"),
                               {"c": check, "p": period, "s": start}).mappings().first()
            return _agg(row) if row else None

    def _put_rollup(self, agg: Aggregate) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("INSERT OR REPLACE INTO rollups "
                              "VALUES (:c, :p, :s, :t, :o, :sum, :p50, :p95, :max)"), {
                "c": agg.check, "p": agg.period, "s": agg.start, "t": agg.total, "o": agg.ok,
                "sum": agg.sum_ms, "p50": agg.p50_ms, "p95": agg.p95_ms, "max": agg.max_ms,
            })

    def _expire(self, check: str, before: float) -> tuple[list[Sample], list[str], list[str]]:
        params = {"c": check, "b": before}
        where = "check_name = :c AND started_at < :b"
        with self.engine.begin() as conn:
            rows = conn.execute(text(
                f"SELECT id, started_at, status, duration_ms FROM runs WHERE {where}"
            ), params).all()
            paths = [r[0] for r in conn.execute(text(
                f"SELECT path FROM artifacts WHERE run_id IN (SELECT id FROM runs WHERE {where})"
            ), params)]
            conn.execute(text(f"DELETE FROM runs WHERE {where}"), params)  # steps/artifacts cascade
        return [Sample(r[1], r[2] == "ok", r[3]) for r in rows], paths, [r[0] for r in rows]

    def _drop_rollups(self, period: str, before: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM rollups WHERE period = :p AND start < :b"),
                         {"p": period, "b": before})

    def _artifact_runs(self) -> list[ArtifactRun]:
        with reading(self.engine) as conn:
            rows = conn.execute(text(
                "SELECT r.id, r.check_name, r.status, r.started_at, a.path FROM artifacts a "
                "JOIN runs r ON r.id = a.run_id ORDER BY r.started_at, r.id, a.seq")).all()
        runs: dict[str, ArtifactRun] = {}
        for run_id, check, status, started, path in rows:
            found = runs.get(run_id)
            paths = (*found.paths, path) if found else (path,)
            runs[run_id] = ArtifactRun(run_id, check, status == "ok", started, paths)
        return list(runs.values())

    def _forget_artifacts(self, run_ids: list[str]) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM artifacts WHERE run_id IN "
                              "(SELECT value FROM json_each(:ids))"), {"ids": json.dumps(run_ids)})


def _agg(row: RowMapping) -> Aggregate:
    return Aggregate(row["check_name"], row["period"], row["start"], row["total"], row["ok"],
                     row["sum_ms"], row["p50_ms"], row["p95_ms"], row["max_ms"])
