"""Legal holds: place and release them, and answer whether one keeps an employee's files.

While a hold is active nothing in its scope is erased: the erasure worker (and the AWS
stream handler, and the sweep's purge) ask `held` before each erasure, and an erasure a
hold stops waits in the outbox as `held`. Releasing a hold queues the state's held erasures
again; the worker asks once more, so those another hold still covers go back to waiting,
and the rest are erased with their receipts. Where the document store keeps holds of its own
(S3 Object Lock), placing and releasing also set and lift them on the documents' versions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from humangov.audit.service import Audit
from humangov.domain.audit import HOLD_PLACED, HOLD_RELEASED
from humangov.domain.auth import Principal
from humangov.domain.errors import Conflict, InvalidInput, NotFound
from humangov.domain.holds import Hold, IsHeld
from humangov.erasure.plan import plan
from humangov.ports import BlobStore, Clock, ErasureOutbox, HoldStore, LegalHolds, RecordStore

MAX_MATTER = 200
MAX_EMPLOYEES = 1000  # a longer list is a whole-state hold


def held_in(store: HoldStore) -> IsHeld:
    """`Holds.held` over a store alone, for the erasure Lambda (which places no holds)."""

    def held(state: str, employee_id: str | None) -> Hold | None:
        return next((h for h in store.list_holds(state) if h.covers(state, employee_id)),
                    None)

    return held


class Holds:
    def __init__(self, store: HoldStore, records: RecordStore, blobs: BlobStore,
                 outbox: ErasureOutbox, audit: Audit, clock: Clock, *,
                 released: Callable[[], None] = lambda: None) -> None:
        self.store, self.records, self.blobs, self.outbox = store, records, blobs, outbox
        self.audit, self.clock, self.released = audit, clock, released

    def held(self, state: str, employee_id: str | None) -> Hold | None:
        """The active hold keeping `employee_id` of `state` (or an object of the state that
        no employee owns, when `employee_id` is None), or None if it may be erased."""
        return held_in(self.store)(state, employee_id)

    def list(self, by: Principal, state: str, *, active_only: bool = False) -> list[Hold]:
        by.require_state_admin(state, "see its legal holds")
        return [h for h in self.store.list_holds(state) if h.active or not active_only]

    def get(self, by: Principal, state: str, hold_id: str) -> Hold:
        by.require_state_admin(state, "see its legal holds")
        hold = self.store.get_hold(hold_id)
        if hold is None or hold.state != state:
            raise NotFound(f"There is no legal hold {hold_id} in {state}.")
        return hold

    def place(self, by: Principal, state: str, matter: str,
              employee_ids: Iterable[str] = (), *, client: str | None = None) -> Hold:
        """Hold the employees named (none: the whole state) for `matter`."""
        by.require_state_admin(state, "place legal holds")
        matter = matter.strip()
        if not matter or len(matter) > MAX_MATTER:
            raise InvalidInput(f"Name the matter, in at most {MAX_MATTER} characters.",
                               field="matter")
        ids = tuple(dict.fromkeys(i.strip() for i in employee_ids if i.strip()))
        if len(ids) > MAX_EMPLOYEES:
            raise InvalidInput(f"A hold names at most {MAX_EMPLOYEES} employees; hold the "
                               "whole state instead.", field="employee_ids")
        if any(len(i) > 64 for i in ids):
            raise InvalidInput("An employee id is at most 64 characters.", field="employee_ids")
        unknown = [i for i in ids if self.records.get_employee(state, i) is None]
        if unknown:
            raise NotFound(f"No employee {', '.join(unknown[:5])} in {state}.",
                           field="employee_ids")
        hold = Hold(id=uuid.uuid4().hex[:12], state=state, matter=matter, employee_ids=ids,
                    placed_by=by.actor, placed_at=self.clock.now())
        self.store.add_hold(hold)
        locked = self._set_store_holds(hold, on=True)
        self.audit.record(HOLD_PLACED, by.actor, state=state, subject=hold.id, client=client,
                          matter=matter, scope=list(ids) or "state", locked_versions=locked)
        return hold

    def release(self, by: Principal, state: str, hold_id: str, *,
                client: str | None = None) -> Hold:
        """Release the hold; the erasures it kept waiting proceed (unless another keeps them)."""
        hold = self.get(by, state, hold_id)
        if not hold.active:
            raise Conflict(f"The legal hold {hold_id} was released by {hold.released_by} "
                           "already.")
        self.store.release_hold(hold_id, by.actor, self.clock.now())
        unlocked = self._set_store_holds(hold, on=False)
        queued = self.outbox.release_held(state)
        self.audit.record(HOLD_RELEASED, by.actor, state=state, subject=hold_id, client=client,
                          matter=hold.matter, erasures_queued=queued,
                          unlocked_versions=unlocked)
        if queued:
            self.released()
        released = self.store.get_hold(hold_id)
        assert released is not None
        return released

    def _set_store_holds(self, hold: Hold, *, on: bool) -> int:
        """Set (or lift) the store's own holds on the documents in the hold's scope: those of
        its employees, and those held erasures are waiting to erase. A document another
        active hold covers keeps its store hold."""
        if not isinstance(self.blobs, LegalHolds):
            return 0
        keys: dict[str, str] = {}  # key -> its employee
        employees = (self.records.iter_employees(hold.state) if hold.whole_state else
                     filter(None, (self.records.get_employee(hold.state, i)
                                   for i in hold.employee_ids)))
        for e in employees:
            if e.document is not None:
                keys[e.document.key] = e.id
        for intent in self.outbox.held(hold.state):
            if hold.whole_state or intent.change.employee_id in hold.employee_ids:
                keys.update((k, intent.change.employee_id) for k in plan(intent.change))
        if not on:
            keys = {k: e for k, e in keys.items() if self.held(hold.state, e or None) is None}
        return self.blobs.set_legal_holds(hold.state, keys, on)
