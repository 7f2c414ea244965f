"""The erasure request use case.

Filing resolves whom a request concerns to the state's records and deletes them through the
ordinary delete path (`Personnel.delete_employee`, reason `erasure-request`), so each document
is erased by the outbox worker (or the stream Lambda on AWS) with its receipt. An employee
under a legal hold is not deleted: the request is `blocked` until the hold is released.
`check()` (serve runs it periodically; `humangov requests check` too) retries what holds
blocked, gathers the receipts, closes a request once every document in scope has one, marks
and alarms a request past its due date, and purges closed requests after 24 months.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from humangov.audit.service import Audit
from humangov.domain.audit import REQUEST_CLOSED, REQUEST_FILED
from humangov.domain.auth import Principal
from humangov.domain.errors import InvalidInput, NotFound
from humangov.domain.requests import (
    BLOCKED,
    DONE,
    OPEN,
    OVERDUE,
    REASON,
    ErasureRequest,
    RequestReceipt,
    keep_until,
)
from humangov.personnel.service import Personnel
from humangov.ports import Clock, Ledger, RecordStore, RequestStore

log = logging.getLogger(__name__)

MAX_TEXT = 2000
RECEIPT_PAGE = 1000
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# (state, employee id) -> the hold that keeps that employee's records, or None if free.
IsHeld = Callable[[str, str], object | None]


def nothing_held(state: str, employee_id: str) -> None:
    """Until holds exist, nothing is held."""
    return None


@dataclass(frozen=True, slots=True)
class CheckResult:
    closed: list[ErasureRequest]
    overdue: list[ErasureRequest]  # newly past their due date (alarmed)
    purged: int


class Requests:
    def __init__(self, store: RequestStore, personnel: Personnel, records: RecordStore,
                 ledger: Ledger, audit: Audit, clock: Clock, *, is_held: IsHeld = nothing_held,
                 on_overdue: Callable[[ErasureRequest], None] = lambda request: None) -> None:
        self.store, self.personnel, self.records, self.ledger = store, personnel, records, ledger
        self.audit, self.clock = audit, clock
        self.is_held, self.on_overdue = is_held, on_overdue

    # filing and reading -------------------------------------------------------------------
    def file(self, principal: Principal, state: str, *, subject: str, legal_basis: str,
             due: date) -> ErasureRequest:
        """File a request and erase what it concerns at once (what holds allow)."""
        state = self.personnel.require_state(state)
        principal.require_counsel(state, "file erasure requests")
        subject, legal_basis = _text(subject, "subject"), _text(legal_basis, "legal_basis")
        now = self.clock.now()
        request = ErasureRequest(
            id=str(uuid.uuid4()), state=state, subject=subject, legal_basis=legal_basis,
            due=due, filed_by=principal.actor, filed_at=now,
            employee_ids=tuple(self._resolve(state, subject)))
        self.audit.record(REQUEST_FILED, principal.actor, state=state, subject=request.id,
                          due=due.isoformat(), records=len(request.employee_ids))
        self.store.save(request)  # filed before anything is erased, so nothing goes unasked
        request = self._erase(request, request.employee_ids)
        return self._settle(request, now)

    def listing(self, principal: Principal, state: str) -> list[ErasureRequest]:
        state = self.personnel.require_state(state)
        principal.require_counsel(state, "read erasure requests")
        return self.store.list(state)

    def get(self, principal: Principal, state: str, request_id: str) -> ErasureRequest:
        state = self.personnel.require_state(state)
        principal.require_counsel(state, "read erasure requests")
        request = self.store.get(state, request_id)
        if request is None:
            raise NotFound(f"There is no erasure request {request_id} in {state}.")
        return request

    def report_section(self, state: str) -> list[dict[str, Any]]:
        """The compliance report's `requests`: every request kept, with status and receipts."""
        return [as_json(r) for r in self.store.list(state)]

    # the periodic check --------------------------------------------------------------------
    def check(self, states: list[str] | None = None) -> CheckResult:
        now = self.clock.now()
        closed: list[ErasureRequest] = []
        overdue: list[ErasureRequest] = []
        purged = 0
        codes = states or [s.code for s in self.personnel.list_states()]
        for state in codes:
            for request in self.store.list(state):
                if request.closed:
                    if now >= keep_until(request.closed_at or request.filed_at):
                        self.store.remove(state, request.id)
                        purged += 1
                    continue
                was = request.status
                if request.held:
                    request = self._erase(request, request.held)
                request = self._settle(request, now)
                if request.closed:
                    closed.append(request)
                elif request.status == OVERDUE and was != OVERDUE:
                    overdue.append(request)
        return CheckResult(closed, overdue, purged)

    # internals ------------------------------------------------------------------------------
    def _resolve(self, state: str, subject: str) -> list[str]:
        """Employee ids named, and the records whose full name is a name given (several are
        separated by commas or new lines). Canary records are never anyone's."""
        parts = [" ".join(p.split()).casefold() for p in re.split(r"[,\n;]", subject)]
        ids = {p for p in parts if _UUID.match(p)}
        names = {p for p in parts if p and p not in ids}
        found = []
        for e in self.records.iter_employees(state):
            full = f"{e.first_name} {e.last_name}".casefold()
            if not e.synthetic and (e.id in ids or " ".join(full.split()) in names):
                found.append(e.id)
        return sorted(found)

    def _erase(self, request: ErasureRequest, employee_ids: tuple[str, ...]) -> ErasureRequest:
        held, keys = [], list(request.keys)
        for employee_id in employee_ids:
            if self.is_held(request.state, employee_id) is not None:
                held.append(employee_id)
                continue
            try:
                gone = self.personnel.delete_employee(request.state, employee_id,
                                                      request.filed_by, reason=REASON)
            except NotFound:
                continue  # deleted meanwhile by someone else: nothing left of ours to erase
            if gone.document is not None:
                keys.append(gone.document.key)
        request = replace(request, keys=tuple(keys), held=tuple(held))
        self.store.save(request)
        return request

    def _settle(self, request: ErasureRequest, now: datetime) -> ErasureRequest:
        receipts = request.receipts + tuple(self._new_receipts(request))
        if not request.held and len({r.key for r in receipts}) >= len(set(request.keys)):
            outcome = (f"Erased {len(request.employee_ids)} record(s) and "
                       f"{len(request.keys)} document(s).")
            if not request.employee_ids:
                outcome = "No record of the state matched; nothing was held to erase."
            settled = replace(request, receipts=receipts, status=DONE, outcome=outcome,
                              closed_at=now)
            self.audit.record(REQUEST_CLOSED, "system", state=request.state,
                              subject=request.id, receipts=len(receipts))
        else:
            status = (OVERDUE if request.past_due(now)
                      else BLOCKED if request.held else OPEN)
            blocked = (f"Blocked by a legal hold on {len(request.held)} record(s)."
                       if request.held else None)
            settled = replace(request, receipts=receipts, status=status, outcome=blocked)
        if settled != request:
            self.store.save(settled)
        if settled.status == OVERDUE and request.status != OVERDUE:
            self.on_overdue(settled)
        return settled

    def _new_receipts(self, request: ErasureRequest) -> list[RequestReceipt]:
        waiting = set(request.keys) - {r.key for r in request.receipts}
        found: list[RequestReceipt] = []
        cursor = None
        while waiting:
            page, cursor = self.ledger.receipts(request.state, limit=RECEIPT_PAGE, cursor=cursor,
                                                since=request.filed_at, synthetic=False)
            for r in page:
                if r.reason == REASON and r.key in waiting:
                    waiting.discard(r.key)
                    found.append(RequestReceipt(r.key, r.result, r.erased_at, r.change_id))
            if cursor is None:
                break
        return found


def as_json(r: ErasureRequest) -> dict[str, Any]:
    return {"id": r.id, "state": r.state, "subject": r.subject, "legal_basis": r.legal_basis,
            "due": r.due.isoformat(), "filed_by": r.filed_by, "filed_at": r.filed_at.isoformat(),
            "status": r.status, "outcome": r.outcome,
            "closed_at": r.closed_at.isoformat() if r.closed_at else None,
            "employee_ids": list(r.employee_ids), "held": list(r.held),
            "documents": len(r.keys),
            "receipts": [{"key": x.key, "result": x.result, "erased_at": x.erased_at.isoformat(),
                          "change_id": x.change_id} for x in r.receipts]}


def _text(value: str, name: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"{name} must not be empty.", field=name)
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"{name} must be at most {MAX_TEXT} characters.", field=name)
    return value


class RequestJobs:
    """`serve`'s periodic request check, in a thread beside the erasure jobs."""

    def __init__(self, requests: Requests, every: timedelta) -> None:
        self.requests, self.every = requests, every
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="erasure-requests")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                result = await asyncio.to_thread(self.requests.check)
                if result.closed or result.overdue or result.purged:
                    log.info("erasure requests: %d closed, %d newly overdue, %d purged",
                             len(result.closed), len(result.overdue), result.purged)
            except Exception:
                log.exception("the erasure request check failed; it runs again in %s",
                              self.every)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.every.total_seconds())
