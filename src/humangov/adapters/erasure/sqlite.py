"""SQLite outbox (reading side) and ledger.

The RecordStore writes `erasure_outbox` rows in the transaction of each change (see
humangov.adapters.metadata). Claiming is one conditional UPDATE: SQLite runs a write
statement under the database's single write lock, so two workers never claim the same row
(https://www.sqlite.org/lockingv3.html), and RETURNING tells each worker which rows it got.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime, timedelta

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from humangov.adapters import cursors
from humangov.adapters.change_codec import change_from_row, change_to_row
from humangov.adapters.clock import SystemClock
from humangov.adapters.metadata import erasure_outbox as outbox
from humangov.adapters.metadata import erasure_receipts as receipts
from humangov.adapters.metadata import sweep_runs
from humangov.adapters.sql import reading
from humangov.adapters.timecodec import from_text, to_text
from humangov.domain.erasure import RETRIED, DocumentChange, ErasureIntent, Receipt, SweepRun
from humangov.ports import Clock

MAX_ERROR = 500


class SqliteOutbox:
    def __init__(self, engine: sa.Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self._now = (clock or SystemClock()).now

    def enqueue(self, change: DocumentChange) -> None:
        with self.engine.begin() as conn:
            insert_changes(conn, [change])

    def has_due(self, now: datetime) -> bool:
        # A read: an idle worker asks this instead of claiming, so it takes no write lock.
        with reading(self.engine) as conn:
            hit = conn.execute(sa.select(outbox.c.id).where(_due(to_text(now))).limit(1)).first()
        return hit is not None

    def claim(self, worker: str, limit: int, now: datetime,
              lease_seconds: float) -> list[ErasureIntent]:
        now_t = to_text(now)
        until_t = to_text(now + timedelta(seconds=lease_seconds))
        due = _due(now_t)
        ids = (sa.select(outbox.c.id).where(due)
               .order_by(outbox.c.next_attempt_at, outbox.c.id).limit(limit))
        with self.engine.begin() as conn:
            # RETURNING hands back exactly the rows this statement claimed (SQLite >= 3.35:
            # https://www.sqlite.org/lang_returning.html).
            rows = conn.execute(
                outbox.update().where(outbox.c.id.in_(ids.scalar_subquery()), due)
                .values(claimed_by=worker, claimed_until=until_t, attempts=outbox.c.attempts + 1)
                .returning(*outbox.c)
            ).mappings().all()
        rows = sorted(rows, key=lambda r: r["id"])
        return [_intent(r) for r in rows]

    def renew(self, intent_ids: list[int], worker: str, until: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(outbox.update().where(*_held(intent_ids, worker))
                         .values(claimed_until=to_text(until)))

    def complete(self, intent_ids: list[int], worker: str) -> int:
        if not intent_ids:
            return 0
        with self.engine.begin() as conn:
            result = conn.execute(
                outbox.update().where(*_held(intent_ids, worker))
                .values(status="done", done_at=to_text(self._now()), claimed_by=None,
                        claimed_until=None)
            )
        return result.rowcount

    def claimants(self) -> set[str]:
        query = sa.select(outbox.c.claimed_by).distinct().where(
            outbox.c.status == "pending", outbox.c.claimed_by.is_not(None))
        with reading(self.engine) as conn:
            return set(conn.execute(query).scalars())

    def release(self, workers: list[str]) -> int:
        with self.engine.begin() as conn:
            return conn.execute(outbox.update().where(
                outbox.c.status == "pending", outbox.c.claimed_by.in_(workers),
            ).values(claimed_by=None, claimed_until=None)).rowcount

    def fail(self, intent_id: int, worker: str, error: str,
             next_attempt_at: datetime | None) -> None:
        values = {"last_error": error[:MAX_ERROR], "claimed_by": None, "claimed_until": None}
        if next_attempt_at is None:
            values["status"] = "dead"
        else:
            values["next_attempt_at"] = to_text(next_attempt_at)
        with self.engine.begin() as conn:
            conn.execute(outbox.update().where(
                outbox.c.id == intent_id, outbox.c.claimed_by == worker,
                outbox.c.status == "pending",
            ).values(**values))

    def dead_letters(self, state: str | None = None) -> list[ErasureIntent]:
        return self._with_status("dead", state)

    def _with_status(self, status: str, state: str | None) -> list[ErasureIntent]:
        query = sa.select(outbox).where(outbox.c.status == status).order_by(outbox.c.id)
        if state is not None:
            query = query.where(outbox.c.state == state)
        with reading(self.engine) as conn:
            return [_intent(r) for r in conn.execute(query).mappings()]

    def retry_dead(self, intent_id: int | None = None) -> int:
        query = outbox.update().where(outbox.c.status.in_(RETRIED))
        if intent_id is not None:
            query = query.where(outbox.c.id == intent_id)
        with self.engine.begin() as conn:
            now = to_text(self._now())
            result = conn.execute(query.values(
                status="pending", attempts=0, next_attempt_at=now, retry_from=now,
                claimed_by=None, claimed_until=None,
            ))
        return result.rowcount

    def hold(self, intent_id: int, worker: str, reason: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(outbox.update().where(*_held([intent_id], worker)).values(
                status="held", last_error=reason[:MAX_ERROR], claimed_by=None,
                claimed_until=None))

    def held(self, state: str | None = None) -> list[ErasureIntent]:
        return self._with_status("held", state)

    def release_held(self, state: str) -> int:
        # Due at once; the worker asks again whether a hold covers each (another may).
        with self.engine.begin() as conn:
            return conn.execute(outbox.update().where(
                outbox.c.status == "held", outbox.c.state == state,
            ).values(status="pending", next_attempt_at=to_text(self._now()))).rowcount

    def pending_count(self, state: str | None = None) -> int:
        return self.counts(state)["pending"]

    def counts(self, state: str | None = None) -> dict[str, int]:
        query = sa.select(outbox.c.status, sa.func.count()).group_by(outbox.c.status)
        if state is not None:
            query = query.where(outbox.c.state == state)
        out = {"pending": 0, "done": 0, "dead": 0}
        with reading(self.engine) as conn:
            for status, n in conn.execute(query):
                out[status] = n
        return out


def _held(intent_ids: list[int], worker: str) -> tuple[sa.ColumnElement[bool], ...]:
    """The intents among `intent_ids` still claimed by `worker` (a lease that expired may
    have passed to another)."""
    return (outbox.c.id.in_(intent_ids), outbox.c.claimed_by == worker,
            outbox.c.status == "pending")


def _due(now_t: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        outbox.c.status == "pending", outbox.c.next_attempt_at <= now_t,
        sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now_t),
    )


def insert_changes(conn: sa.Connection, changes: Iterable[DocumentChange]) -> None:
    """Queue changes in the caller's transaction, so each intent commits with the change that
    caused it (the RecordStore calls this). A change id queued twice is kept once."""
    rows = [change_to_row(c) for c in changes]
    for row in rows:
        row["next_attempt_at"] = row["requested_at"]
    if rows:
        # Driver SQL: on a delete, SQLAlchemy's Core statement cost more than the insert itself.
        conn.exec_driver_sql(_insert_statement(tuple(rows[0])), rows)


@functools.cache
def _insert_statement(columns: tuple[str, ...]) -> str:
    return (f"INSERT INTO {outbox.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join(':' + c for c in columns)}) ON CONFLICT DO NOTHING")


def _intent(r: sa.RowMapping) -> ErasureIntent:
    return ErasureIntent(
        id=r["id"], change=change_from_row(r), attempts=r["attempts"], status=r["status"],
        last_error=r["last_error"], next_attempt_at=from_text(r["next_attempt_at"]),
        retry_from=from_text(r["retry_from"]) if r["retry_from"] else None,
    )


class SqliteLedger:
    """Append-only: rows are inserted, never updated or deleted. (change_id, key) is unique,
    so a redelivered intent never writes a second receipt."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def append(self, items: list[Receipt]) -> None:
        if not items:
            return
        with self.engine.begin() as conn:
            conn.execute(
                sqlite_insert(receipts).on_conflict_do_nothing(index_elements=["change_id", "key"]),
                [_receipt_row(r) for r in items],
            )

    def has(self, change_id: str, key: str) -> bool:
        with reading(self.engine) as conn:
            return conn.execute(sa.select(receipts.c.id).where(
                receipts.c.change_id == change_id, receipts.c.key == key)).first() is not None

    def receipts(self, state: str, *, limit: int, cursor: str | None,
                 since: datetime | None = None,
                 synthetic: bool | None = None) -> tuple[list[Receipt], str | None]:
        query = _of(sa.select(receipts), state, since, synthetic)
        if cursor:
            query = query.where(receipts.c.id < cursors.decode(cursor, cursors.row_id))
        with reading(self.engine) as conn:
            rows = conn.execute(
                query.order_by(receipts.c.id.desc()).limit(limit + 1)
            ).mappings().all()
        page = rows[:limit]
        nxt = cursors.encode(page[-1]["id"]) if len(rows) > limit else None
        return [_receipt(r) for r in page], nxt

    def totals(self, state: str, since: datetime | None = None, *,
               synthetic: bool | None = None) -> dict[str, int]:
        query = _of(sa.select(receipts.c.reason, sa.func.count()), state, since, synthetic)
        query = query.group_by(receipts.c.reason)
        with reading(self.engine) as conn:
            return {reason: n for reason, n in conn.execute(query)}

    def record_sweep(self, run: SweepRun) -> None:
        with self.engine.begin() as conn:
            conn.execute(sweep_runs.insert().values(
                state=run.state, started_at=to_text(run.started_at),
                finished_at=to_text(run.finished_at),
                scanned_files=run.scanned_files, scanned_records=run.scanned_records,
                orphans=run.orphans, dangling=run.dangling, purged=run.purged,
            ))

    def latest_sweep(self, state: str) -> SweepRun | None:
        query = (sa.select(sweep_runs).where(sweep_runs.c.state == state)
                 .order_by(sweep_runs.c.finished_at.desc(), sweep_runs.c.id.desc()).limit(1))
        with reading(self.engine) as conn:
            r = conn.execute(query).mappings().first()
        if r is None:
            return None
        return SweepRun(
            state=r["state"], started_at=from_text(r["started_at"]),
            finished_at=from_text(r["finished_at"]),
            scanned_files=r["scanned_files"], scanned_records=r["scanned_records"],
            orphans=r["orphans"], dangling=r["dangling"], purged=r["purged"],
        )


def _of(query: sa.Select, state: str, since: datetime | None,
        synthetic: bool | None) -> sa.Select:
    """The state's receipts, erased since `since`, synthetic or not (None: both)."""
    query = query.where(receipts.c.state == state)
    if since is not None:
        query = query.where(receipts.c.erased_at >= to_text(since))
    if synthetic is not None:
        query = query.where(receipts.c.synthetic == synthetic)
    return query


def _receipt_row(r: Receipt) -> dict:
    return {
        "state": r.state, "key": r.key, "size": r.size, "sha256": r.sha256,
        "versions": orjson.dumps(list(r.versions)).decode(), "reason": r.reason,
        "change_id": r.change_id, "actor": r.actor, "requested_at": to_text(r.requested_at),
        "erased_at": to_text(r.erased_at), "result": r.result, "synthetic": r.synthetic,
    }


def _receipt(r: sa.RowMapping) -> Receipt:
    return Receipt(
        state=r["state"], key=r["key"], size=r["size"], sha256=r["sha256"], reason=r["reason"],
        change_id=r["change_id"], actor=r["actor"], requested_at=from_text(r["requested_at"]),
        erased_at=from_text(r["erased_at"]), result=r["result"],
        versions=tuple(orjson.loads(r["versions"])), synthetic=bool(r["synthetic"]),
    )
