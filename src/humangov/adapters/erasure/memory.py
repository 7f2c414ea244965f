"""In-memory outbox and ledger: working fakes with the same semantics as the SQLite ones."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from humangov.adapters import cursors
from humangov.adapters.clock import SystemClock
from humangov.domain.erasure import RETRIED, DocumentChange, ErasureIntent, Receipt, SweepRun
from humangov.ports import Clock


@dataclass
class _Row:
    intent: ErasureIntent
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    done_at: datetime | None = None


def _due(row: _Row, now: datetime) -> bool:
    return (row.intent.status == "pending"
            and row.intent.next_attempt_at is not None and row.intent.next_attempt_at <= now
            and (row.claimed_until is None or row.claimed_until < now))


class MemoryOutbox:
    """The memory RecordStore calls `enqueue` (its `on_change` callback) for every change."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._rows: dict[int, _Row] = {}
        self._change_ids: set[str] = set()
        self._lock = threading.Lock()
        self._next_id = 1
        self._now = (clock or SystemClock()).now

    def enqueue(self, change: DocumentChange) -> None:
        with self._lock:
            if change.change_id in self._change_ids:
                return
            self._change_ids.add(change.change_id)
            intent = ErasureIntent(self._next_id, change, next_attempt_at=change.requested_at)
            self._rows[self._next_id] = _Row(intent)
            self._next_id += 1

    __call__ = enqueue  # usable directly as the memory store's on_change

    def has_due(self, now: datetime) -> bool:
        with self._lock:
            return any(_due(r, now) for r in self._rows.values())

    def claim(self, worker: str, limit: int, now: datetime,
              lease_seconds: float) -> list[ErasureIntent]:
        until = now + timedelta(seconds=lease_seconds)
        out = []
        with self._lock:
            due = sorted((r for r in self._rows.values() if _due(r, now)),
                         key=lambda r: (r.intent.next_attempt_at, r.intent.id))
            for row in due[:limit]:
                row.claimed_by, row.claimed_until = worker, until
                row.intent = replace(row.intent, attempts=row.intent.attempts + 1)
                out.append(row.intent)
        return out

    def renew(self, intent_ids: list[int], worker: str, until: datetime) -> None:
        with self._lock:
            for row in self._held(intent_ids, worker):
                row.claimed_until = until

    def complete(self, intent_ids: list[int], worker: str) -> int:
        with self._lock:
            held = self._held(intent_ids, worker)
            for row in held:
                row.intent = replace(row.intent, status="done")
                row.claimed_by = row.claimed_until = None
                row.done_at = self._now()
        return len(held)

    def claimants(self) -> set[str]:
        with self._lock:
            return {r.claimed_by for r in self._rows.values()
                    if r.claimed_by is not None and r.intent.status == "pending"}

    def release(self, workers: list[str]) -> int:
        with self._lock:
            rows = [r for r in self._rows.values()
                    if r.claimed_by in workers and r.intent.status == "pending"]
            for r in rows:
                r.claimed_by = r.claimed_until = None
        return len(rows)

    def _held(self, intent_ids: list[int], worker: str) -> list[_Row]:
        rows = (self._rows.get(i) for i in intent_ids)
        return [r for r in rows
                if r is not None and r.claimed_by == worker and r.intent.status == "pending"]

    def fail(self, intent_id: int, worker: str, error: str,
             next_attempt_at: datetime | None) -> None:
        with self._lock:
            row = self._rows.get(intent_id)
            if row is None or row.claimed_by != worker or row.intent.status != "pending":
                return
            if next_attempt_at is None:
                row.intent = replace(row.intent, status="dead", last_error=error)
            else:
                row.intent = replace(row.intent, last_error=error, next_attempt_at=next_attempt_at)
            row.claimed_by = row.claimed_until = None

    def dead_letters(self, state: str | None = None) -> list[ErasureIntent]:
        return self._with_status("dead", state)

    def _with_status(self, status: str, state: str | None) -> list[ErasureIntent]:
        with self._lock:
            return [r.intent for r in sorted(self._rows.values(), key=lambda r: r.intent.id)
                    if r.intent.status == status and state in (None, r.intent.change.state)]

    def retry_dead(self, intent_id: int | None = None) -> int:
        now = self._now()
        n = 0
        with self._lock:
            for row in self._rows.values():
                if row.intent.status in RETRIED and intent_id in (None, row.intent.id):
                    row.intent = replace(row.intent, status="pending", attempts=0,
                                         next_attempt_at=now, retry_from=now)
                    n += 1
        return n

    def pending_count(self, state: str | None = None) -> int:
        return self.counts(state)["pending"]

    def counts(self, state: str | None = None) -> dict[str, int]:
        out = {"pending": 0, "done": 0, "dead": 0}
        with self._lock:
            for row in self._rows.values():
                if state in (None, row.intent.change.state):
                    out[row.intent.status] = out.get(row.intent.status, 0) + 1
        return out

    def hold(self, intent_id: int, worker: str, reason: str) -> None:
        with self._lock:
            row = self._rows.get(intent_id)
            if row is None or row.claimed_by != worker or row.intent.status != "pending":
                return
            row.intent = replace(row.intent, status="held", last_error=reason)
            row.claimed_by = row.claimed_until = None

    def held(self, state: str | None = None) -> list[ErasureIntent]:
        return self._with_status("held", state)

    def release_held(self, state: str) -> int:
        now = self._now()
        n = 0
        with self._lock:
            for row in self._rows.values():
                if row.intent.status == "held" and row.intent.change.state == state:
                    row.intent = replace(row.intent, status="pending", next_attempt_at=now)
                    n += 1
        return n


class MemoryLedger:
    def __init__(self) -> None:
        self._receipts: list[Receipt] = []
        self._seen: set[tuple[str, str]] = set()
        self._sweeps: list[SweepRun] = []
        self._lock = threading.Lock()

    def append(self, receipts: list[Receipt]) -> None:
        with self._lock:
            for r in receipts:
                if (r.change_id, r.key) not in self._seen:
                    self._seen.add((r.change_id, r.key))
                    self._receipts.append(r)

    def has(self, change_id: str, key: str) -> bool:
        return (change_id, key) in self._seen

    def receipts(self, state: str, *, limit: int, cursor: str | None,
                 since: datetime | None = None,
                 synthetic: bool | None = None) -> tuple[list[Receipt], str | None]:
        with self._lock:
            return cursors.newest_first(
                self._receipts, lambda r: _matches(r, state, since, synthetic), limit, cursor)

    def totals(self, state: str, since: datetime | None = None, *,
               synthetic: bool | None = None) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self._receipts:
            if _matches(r, state, since, synthetic):
                out[r.reason] = out.get(r.reason, 0) + 1
        return out

    def record_sweep(self, run: SweepRun) -> None:
        with self._lock:
            self._sweeps.append(run)

    def latest_sweep(self, state: str) -> SweepRun | None:
        runs = [r for r in self._sweeps if r.state == state]
        return max(runs, key=lambda r: r.finished_at) if runs else None


def _matches(r: Receipt, state: str, since: datetime | None, synthetic: bool | None) -> bool:
    return (r.state == state and (since is None or r.erased_at >= since)
            and synthetic in (None, r.synthetic))
