"""Retention schedules and the run that erases what they have let expire.

Erasure goes the way every other does: the record store's change queues the document's
erasure in the outbox (the stream on DynamoDB) with reason `retention-expired`, and the
worker erases it with a receipt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from humangov.audit.service import Audit
from humangov.domain.audit import RETENTION_SET
from humangov.domain.auth import Principal
from humangov.domain.errors import NotFound, StaleVersion
from humangov.domain.model import Employee, FieldChange, HistoryEntry
from humangov.domain.retention import DOCUMENT, RECORD, Schedule, cutoff, parse_years
from humangov.ports import Clock, RecordStore, RetentionExpiry, RetentionSchedules, Separations

log = logging.getLogger(__name__)

REASON = "retention-expired"
RETENTION_ACTOR = "retention"


def nothing_held(state: str, employee_id: str) -> None:
    """No legal holds yet."""  # wired to holds at merge
    return None


@dataclass(frozen=True, slots=True)
class Expiry:
    """A document or record whose retention period has ended (or will, for `upcoming`)."""

    state: str
    employee_id: str
    what: str  # document | record
    due: date
    outcome: str  # erased | due (a dry run) | held | changed (it moved on meanwhile)

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "employee_id": self.employee_id, "what": self.what,
                "due": self.due.isoformat(), "outcome": self.outcome}


class Retention:
    def __init__(
        self, records: RecordStore, schedules: RetentionSchedules, clock: Clock, audit: Audit,
        *, is_held: Callable[[str, str], object | None] = nothing_held,
        erasure_queued: Callable[[], None] = lambda: None,
    ):
        self.records, self.schedules, self.clock, self.audit = records, schedules, clock, audit
        self.is_held = is_held
        self.erasure_queued = erasure_queued

    def show(self, state: str) -> Schedule:
        return self.schedules.schedule(state) or Schedule(state)

    def set(self, state: str, document_years: Any, record_years: Any, by: Principal) -> Schedule:
        by.require_state_admin(state, "set the retention schedule")
        schedule = Schedule(state, parse_years("document_years", document_years),
                            parse_years("record_years", record_years), by.actor, self.clock.now())
        before = self.show(state)
        self.schedules.set_schedule(schedule)
        self.audit.record(RETENTION_SET, by.actor, state=state,
                          before={"document_years": before.document_years,
                                  "record_years": before.record_years},
                          after={"document_years": schedule.document_years,
                                 "record_years": schedule.record_years})
        if isinstance(self.records, RetentionExpiry):
            for employee in self.records.iter_employees(state):
                if employee.separated_on is not None:
                    self._set_expiry(self.records, schedule, employee)
        return schedule

    def employee_saved(self, employee: Employee) -> None:
        """After a separated employee is written: a store that expires records by itself
        (DynamoDB's TTL) is told when (a full write drops the attribute)."""
        if employee.separated_on is not None and isinstance(self.records, RetentionExpiry):
            self._set_expiry(self.records, self.show(employee.state), employee)

    def expired(self, state: str, today: date) -> Iterator[tuple[Employee, str, date]]:
        """What the schedule has let expire by `today`: (employee, DOCUMENT or RECORD, due).
        A record due takes its document with it, so it alone is named."""
        schedule = self.show(state)
        periods = [y for y in (schedule.document_years, schedule.record_years) if y is not None]
        if not periods:
            return
        until = cutoff(today, min(periods))
        if isinstance(self.records, Separations):
            candidates = self.records.iter_separated(state, until)
        else:
            candidates = (e for e in self.records.iter_employees(state)
                          if e.separated_on is not None and e.separated_on <= until)
        for employee in candidates:
            assert employee.separated_on is not None
            record_due = schedule.due(RECORD, employee.separated_on)
            document_due = schedule.due(DOCUMENT, employee.separated_on)
            if record_due is not None and record_due <= today:
                yield employee, RECORD, record_due
            elif employee.document is not None and document_due is not None \
                    and document_due <= today:
                yield employee, DOCUMENT, document_due

    def run(self, states: list[str], *, dry_run: bool = False) -> list[Expiry]:
        """Erase what has expired in these states (a dry run only says what)."""
        today = self.clock.now().date()
        results: list[Expiry] = []
        for state in states:
            for employee, what, due in list(self.expired(state, today)):
                outcome = "due" if dry_run else self._erase(employee, what)
                results.append(Expiry(state, employee.id, what, due, outcome))
        if any(r.outcome == "erased" for r in results):
            self.erasure_queued()
        return results

    def past_due(self, state: str, grace_days: int = 0) -> list[Expiry]:
        """Expired more than `grace_days` ago and still here (the goal is none): what the
        daily check and the compliance report name."""
        today = self.clock.now().date()
        limit = today - timedelta(days=grace_days)
        return [Expiry(state, e.id, what, due, "past-due")
                for e, what, due in self.expired(state, today) if due < limit]

    def report_section(self, state: str) -> dict[str, Any]:
        """The compliance report's `retention`: the schedule in force and what is past its
        date and still here (the goal is none)."""
        schedule = self.show(state)
        return {
            "schedule": {"document_years": schedule.document_years,
                         "record_years": schedule.record_years, "set_by": schedule.set_by,
                         "set_at": schedule.set_at.isoformat() if schedule.set_at else None},
            "past_due": [{"employee_id": e.employee_id, "what": e.what, "due": e.due.isoformat()}
                         for e in self.past_due(state)],
        }

    def _erase(self, employee: Employee, what: str) -> str:
        if self.is_held(employee.state, employee.id) is not None:
            return "held"
        try:
            if what == RECORD:
                self.records.delete_employee(employee.state, employee.id, RETENTION_ACTOR,
                                             employee.version, reason=REASON)
            else:
                now = self.clock.now()
                erased = replace(employee, document=None, updated_at=now,
                                 version=employee.version + 1)
                entry = HistoryEntry(employee.id, employee.state, REASON, RETENTION_ACTOR, now,
                                     (FieldChange("document", "present", "erased"),))
                self.records.update_employee(erased, employee.version, entry, reason=REASON)
        except (NotFound, StaleVersion):
            return "changed"  # deleted or edited since it was read: the next run decides
        return "erased"

    def _set_expiry(self, store: RetentionExpiry, schedule: Schedule, employee: Employee) -> None:
        assert employee.separated_on is not None
        due = schedule.due(RECORD, employee.separated_on)
        at = datetime.combine(due, time(), UTC) if due is not None else None
        store.set_expiry(employee.state, employee.id, at)


class RetentionJob:
    """`serve`'s daily retention run over every state. On AWS the TTL erases records by
    itself; the run still erases documents and reports what is late beyond
    `retention_late_days` (TTL deletes come within days, not at once)."""

    def __init__(self, retention: Retention, states: Callable[[], list[str]], *,
                 every: timedelta, late_days: int) -> None:
        self.retention, self.states = retention, states
        self.every, self.late_days = every, late_days
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    def run_once(self) -> list[Expiry]:
        states = self.states()
        results = self.retention.run(states)
        for state in states:
            for late in self.retention.past_due(state, self.late_days):
                log.warning("retention: %s %s of %s was due %s and is not erased yet",
                            late.state, late.what, late.employee_id, late.due.isoformat())
        return results

    async def start(self) -> None:
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._loop(), name="retention")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await asyncio.wait([self._task], timeout=10)
            self._task.cancel()

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                await asyncio.to_thread(self.run_once)
            except Exception:  # a failing store must not end the schedule; retried next time
                log.exception("retention run failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.every.total_seconds())
