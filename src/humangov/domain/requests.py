"""Erasure requests: counsel asks for named people's records and documents to be erased by a
date, and HumanGov answers with the erasure receipts (or the holds that block it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

OPEN = "open"
BLOCKED = "blocked"  # a legal hold keeps some of the records in scope
OVERDUE = "overdue"  # past its due date and not done: alarmed once
DONE = "done"
STATUSES = (OPEN, BLOCKED, OVERDUE, DONE)
REASON = "erasure-request"  # the erasure reason of what a request erases
KEEP_MONTHS = 24  # a closed request, with its outcome and receipts, is kept this long


@dataclass(frozen=True, slots=True)
class RequestReceipt:
    """The ledger receipt of one document a request erased (keys and hashes only)."""

    key: str
    result: str
    erased_at: datetime
    change_id: str


@dataclass(frozen=True, slots=True)
class ErasureRequest:
    id: str
    state: str
    subject: str  # whom it concerns, as counsel gave it (employee ids or a person's name)
    legal_basis: str
    due: date
    filed_by: str
    filed_at: datetime
    employee_ids: tuple[str, ...] = ()  # the records of the state it resolved to
    keys: tuple[str, ...] = ()  # the documents whose erasure it waits for
    held: tuple[str, ...] = ()  # employee ids a legal hold keeps from erasure
    status: str = OPEN
    outcome: str | None = None
    closed_at: datetime | None = None
    receipts: tuple[RequestReceipt, ...] = field(default_factory=tuple)

    @property
    def closed(self) -> bool:
        return self.status == DONE

    def past_due(self, now: datetime) -> bool:
        return not self.closed and now.date() > self.due


def keep_until(closed_at: datetime) -> datetime:
    """When a request closed at `closed_at` may be purged: KEEP_MONTHS calendar months later
    (the 29th of February falls back to the 28th)."""
    months = closed_at.month - 1 + KEEP_MONTHS
    year, month = closed_at.year + months // 12, months % 12 + 1
    try:
        return closed_at.replace(year=year, month=month)
    except ValueError:
        return closed_at.replace(year=year, month=month, day=28)
