"""SQLite outbox (reading side) and ledger.

The RecordStore writes `erasure_outbox` rows in the transaction of each change (see
humangov.adapters.metadata). Claiming is one conditional UPDATE: SQLite runs a write
statement under the database's single write lock, so two workers never claim the same row
(https://www.sqlite.org/lockingv3.html), and RETURNING tells each worker which rows it got.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from humangov.adapters.erasure.memory import decode_cursor, encode_cursor
from humangov.adapters.metadata import erasure_outbox as outbox
from humangov.adapters.sql import from_text, to_text, utc_now
from humangov.domain.erasure import DocumentChange, ErasureIntent, Receipt, SweepRun
from humangov.domain.model import DocumentRef

# Created by migration 0002; kept apart from the personnel metadata the lead's 0001 owns.
erasure_metadata = sa.MetaData()

receipts = sa.Table(
    "erasure_receipts", erasure_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("size", sa.Integer),
    sa.Column("sha256", sa.Text),
    sa.Column("versions", sa.Text, nullable=False),  # JSON list of version ids
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("change_id", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("requested_at", sa.Text, nullable=False),
    sa.Column("erased_at", sa.Text, nullable=False),
    sa.Column("result", sa.Text, nullable=False),
    sa.UniqueConstraint("change_id", "key", name="uq_erasure_receipts_change_key"),
    sa.Index("ix_erasure_receipts_state", "state", "id"),
    sqlite_autoincrement=True,
)

sweep_runs = sa.Table(
    "sweep_runs", erasure_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("started_at", sa.Text, nullable=False),
    sa.Column("finished_at", sa.Text, nullable=False),
    sa.Column("scanned_files", sa.Integer, nullable=False),
    sa.Column("scanned_records", sa.Integer, nullable=False),
    sa.Column("orphans", sa.Integer, nullable=False),
    sa.Column("dangling", sa.Integer, nullable=False),
    sa.Column("purged", sa.Integer, nullable=False),
    sa.Index("ix_sweep_runs_state", "state", "finished_at"),
)

MAX_ERROR = 500


def _read(engine: sa.Engine):
    # A plain read must not take the write lock (sql.py begins IMMEDIATE by default).
    return engine.connect().execution_options(sqlite_begin="DEFERRED")


class SqliteOutbox:
    def __init__(self, engine: sa.Engine, clock=None) -> None:
        self.engine = engine
        self._now = clock.now if clock is not None else utc_now

    def enqueue(self, change: DocumentChange) -> None:
        with self.engine.begin() as conn:
            conn.execute(sqlite_insert(outbox).values(**change_row(change)).on_conflict_do_nothing())

    def has_due(self, now: datetime) -> bool:
        # A read: an idle worker asks this instead of claiming, so it takes no write lock.
        with _read(self.engine) as conn:
            hit = conn.execute(sa.select(outbox.c.id).where(_due(to_text(now))).limit(1)).first()
        return hit is not None

    def claim(self, worker: str, limit: int, now: datetime, lease_seconds: float) -> list[ErasureIntent]:
        now_t = to_text(now)
        until_t = to_text(now + timedelta(seconds=lease_seconds))
        due = _due(now_t)
        ids = sa.select(outbox.c.id).where(due).order_by(outbox.c.next_attempt_at, outbox.c.id).limit(limit)
        with self.engine.begin() as conn:
            # RETURNING hands back exactly the rows this statement claimed (SQLite >= 3.35:
            # https://www.sqlite.org/lang_returning.html).
            rows = conn.execute(
                outbox.update().where(outbox.c.id.in_(ids.scalar_subquery()), due)
                .values(claimed_by=worker, claimed_until=until_t, attempts=outbox.c.attempts + 1)
                .returning(*outbox.c)
            ).mappings().all()
        rows = sorted(rows, key=lambda r: r["id"])
        return [intent_from_row(r) for r in rows]

    def complete(self, intent_id: int, worker: str) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(
                outbox.update().where(outbox.c.id == intent_id, outbox.c.claimed_by == worker,
                                      outbox.c.status == "pending")
                .values(status="done", done_at=to_text(self._now()), claimed_by=None, claimed_until=None)
            )
        return result.rowcount == 1

    def fail(self, intent_id: int, worker: str, error: str, next_attempt_at: datetime | None) -> None:
        values = {"last_error": error[:MAX_ERROR], "claimed_by": None, "claimed_until": None}
        if next_attempt_at is None:
            values["status"] = "dead"
        else:
            values["next_attempt_at"] = to_text(next_attempt_at)
        with self.engine.begin() as conn:
            conn.execute(outbox.update().where(
                outbox.c.id == intent_id, outbox.c.claimed_by == worker, outbox.c.status == "pending"
            ).values(**values))

    def dead_letters(self, state: str | None = None) -> list[ErasureIntent]:
        query = sa.select(outbox).where(outbox.c.status == "dead").order_by(outbox.c.id)
        if state is not None:
            query = query.where(outbox.c.state == state)
        with _read(self.engine) as conn:
            return [intent_from_row(r) for r in conn.execute(query).mappings()]

    def retry_dead(self, intent_id: int | None = None) -> int:
        query = outbox.update().where(outbox.c.status == "dead")
        if intent_id is not None:
            query = query.where(outbox.c.id == intent_id)
        with self.engine.begin() as conn:
            result = conn.execute(query.values(
                status="pending", attempts=0, next_attempt_at=to_text(self._now()),
                claimed_by=None, claimed_until=None,
            ))
        return result.rowcount

    def pending_count(self, state: str | None = None) -> int:
        return self.counts(state)["pending"]

    def counts(self, state: str | None = None) -> dict[str, int]:
        query = sa.select(outbox.c.status, sa.func.count()).group_by(outbox.c.status)
        if state is not None:
            query = query.where(outbox.c.state == state)
        out = {"pending": 0, "done": 0, "dead": 0}
        with _read(self.engine) as conn:
            for status, n in conn.execute(query):
                out[status] = n
        return out


def _due(now_t: str):
    return sa.and_(
        outbox.c.status == "pending", outbox.c.next_attempt_at <= now_t,
        sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now_t),
    )


def change_row(change: DocumentChange) -> dict:
    old, new = change.old, change.new
    return {
        "change_id": change.change_id, "state": change.state, "employee_id": change.employee_id,
        "reason": change.reason, "actor": change.actor,
        "old_document_id": old.id if old else None, "old_key": old.key if old else None,
        "old_size": old.size if old else None, "old_sha256": old.sha256 if old else None,
        "new_document_id": new.id if new else None, "new_key": new.key if new else None,
        "requested_at": to_text(change.requested_at), "next_attempt_at": to_text(change.requested_at),
    }


def intent_from_row(r) -> ErasureIntent:
    old = (DocumentRef(r["old_document_id"] or "", r["old_key"], r["old_size"] or 0, r["old_sha256"] or "")
           if r["old_key"] else None)
    new = DocumentRef(r["new_document_id"] or "", r["new_key"], 0, "") if r["new_key"] else None
    change = DocumentChange(
        change_id=r["change_id"], state=r["state"], employee_id=r["employee_id"], reason=r["reason"],
        old=old, new=new, actor=r["actor"], requested_at=from_text(r["requested_at"]),
    )
    return ErasureIntent(
        id=r["id"], change=change, attempts=r["attempts"], status=r["status"],
        last_error=r["last_error"], next_attempt_at=from_text(r["next_attempt_at"]),
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
        with _read(self.engine) as conn:
            return conn.execute(sa.select(receipts.c.id).where(
                receipts.c.change_id == change_id, receipts.c.key == key)).first() is not None

    def list(self, state: str, *, limit: int, cursor: str | None, since: datetime | None = None):
        query = sa.select(receipts).where(receipts.c.state == state)
        if cursor:
            query = query.where(receipts.c.id < decode_cursor(cursor))
        if since is not None:
            query = query.where(receipts.c.erased_at >= to_text(since))
        with _read(self.engine) as conn:
            rows = conn.execute(query.order_by(receipts.c.id.desc()).limit(limit + 1)).mappings().all()
        page = rows[:limit]
        nxt = encode_cursor(page[-1]["id"]) if len(rows) > limit else None
        return [_receipt(r) for r in page], nxt

    def totals(self, state: str, since: datetime | None = None) -> dict[str, int]:
        query = (sa.select(receipts.c.reason, sa.func.count()).where(receipts.c.state == state)
                 .group_by(receipts.c.reason))
        if since is not None:
            query = query.where(receipts.c.erased_at >= to_text(since))
        with _read(self.engine) as conn:
            return {reason: n for reason, n in conn.execute(query)}

    def record_sweep(self, run: SweepRun) -> None:
        with self.engine.begin() as conn:
            conn.execute(sweep_runs.insert().values(
                state=run.state, started_at=to_text(run.started_at), finished_at=to_text(run.finished_at),
                scanned_files=run.scanned_files, scanned_records=run.scanned_records,
                orphans=run.orphans, dangling=run.dangling, purged=run.purged,
            ))

    def latest_sweep(self, state: str) -> SweepRun | None:
        query = (sa.select(sweep_runs).where(sweep_runs.c.state == state)
                 .order_by(sweep_runs.c.finished_at.desc(), sweep_runs.c.id.desc()).limit(1))
        with _read(self.engine) as conn:
            r = conn.execute(query).mappings().first()
        if r is None:
            return None
        return SweepRun(
            state=r["state"], started_at=from_text(r["started_at"]), finished_at=from_text(r["finished_at"]),
            scanned_files=r["scanned_files"], scanned_records=r["scanned_records"],
            orphans=r["orphans"], dangling=r["dangling"], purged=r["purged"],
        )


def _receipt_row(r: Receipt) -> dict:
    return {
        "state": r.state, "key": r.key, "size": r.size, "sha256": r.sha256,
        "versions": orjson.dumps(list(r.versions)).decode(), "reason": r.reason,
        "change_id": r.change_id, "actor": r.actor, "requested_at": to_text(r.requested_at),
        "erased_at": to_text(r.erased_at), "result": r.result,
    }


def _receipt(r) -> Receipt:
    return Receipt(
        state=r["state"], key=r["key"], size=r["size"], sha256=r["sha256"], reason=r["reason"],
        change_id=r["change_id"], actor=r["actor"], requested_at=from_text(r["requested_at"]),
        erased_at=from_text(r["erased_at"]), result=r["result"],
        versions=tuple(orjson.loads(r["versions"])),
    )
