"""Erasure intents and receipts: what must be erased, and the proof that it was."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from humangov.domain.model import DocumentRef

REASONS = ("record-deleted", "document-replaced", "orphan-sweep", "state-offboarded",
           "legacy-rekeyed",  # an earlier application's object, copied under a HumanGov key
           "erasure-request",  # a record deleted to answer counsel's erasure request
           "retention-expired")  # a separated employee's record or document at its period's end


@dataclass(frozen=True, slots=True)
class DocumentChange:
    """A change to an employee's document reference, as the outbox or a stream record sees it.

    `old` is the reference before the change and `new` the one after (None when the record is
    gone or has no document). The erasure planner only looks at these two. `synthetic` is the
    changed employee's flag (a canary's record), copied into each receipt so reports keep
    canary erasures apart from the state's own.
    """

    change_id: str
    state: str
    employee_id: str
    reason: str
    old: DocumentRef | None
    new: DocumentRef | None
    actor: str
    requested_at: datetime
    synthetic: bool = False


def new_change(state: str, employee_id: str, reason: str, old: DocumentRef | None,
               new: DocumentRef | None, actor: str, at: datetime, *,
               synthetic: bool = False) -> DocumentChange:
    """A change under a fresh id: the outbox keeps one intent per change id."""
    return DocumentChange(str(uuid.uuid4()), state, employee_id, reason, old, new, actor, at,
                          synthetic)


# What `retry` queues again: dead letters, and held erasures (the worker asks the holds, and
# the store, again: an S3 legal hold lifted outside HumanGov has no HumanGov hold to release).
RETRIED = ("dead", "held")


@dataclass(frozen=True, slots=True)
class ErasureIntent:
    """An outbox row: a change waiting to be planned and erased."""

    id: int
    change: DocumentChange
    attempts: int = 0
    status: str = "pending"  # pending | done | dead | held (waiting for a legal hold)
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    retry_from: datetime | None = None  # failures count against the retry window from here

    @property
    def retrying_since(self) -> datetime:
        """When the retry window opened: the request, or the last `retry` of a dead letter."""
        return self.retry_from or self.change.requested_at


@dataclass(frozen=True, slots=True)
class Receipt:
    """One erased object. Holds keys and hashes only, never content or names."""

    state: str
    key: str
    size: int | None
    sha256: str | None
    reason: str
    change_id: str
    actor: str
    requested_at: datetime
    erased_at: datetime
    result: str  # erased | already-absent
    versions: tuple[str, ...] = field(default_factory=tuple)
    synthetic: bool = False  # erased for a canary's record, not one of the state's own


@dataclass(frozen=True, slots=True)
class SweepRun:
    """One pass of the orphan sweep over a state, kept for the compliance report."""

    state: str
    started_at: datetime
    finished_at: datetime
    scanned_files: int
    scanned_records: int
    orphans: int
    dangling: int
    purged: int
