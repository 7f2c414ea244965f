"""An in-memory RecordStore: the working fake for tests and the reference for the contract."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date, datetime
from itertools import islice

from humangov.adapters.clock import SystemClock
from humangov.adapters.records import apply_import_in_steps, keyset, search
from humangov.domain.erasure import DocumentChange, new_change
from humangov.domain.errors import Conflict, NotFound
from humangov.domain.model import DocumentRef, Employee, HistoryEntry, check_version
from humangov.domain.states import State
from humangov.ports import NAME_ORDER, SORTS, Clock, ImportBatch, Order, Page

KEY_CHUNK = 1000


class MemoryRecordStore:
    """Keeps everything in dicts behind one lock.

    `on_change` plays the outbox: it is called with each DocumentChange that drops a
    document reference, after the change is applied.
    """

    def __init__(
        self, on_change: Callable[[DocumentChange], None] | None = None, clock: Clock | None = None
    ):
        self.on_change = on_change
        self.clock = clock or SystemClock()
        self._lock = threading.RLock()
        self._states: dict[str, State] = {}
        self._employees: dict[str, dict[str, Employee]] = {}
        self._history: dict[tuple[str, str], list[HistoryEntry]] = {}
        self._order: dict[str, list[tuple[tuple[str, str, str], str]]] = {}  # cached listing order
        self._sorted_by: dict[tuple[str, str], list[tuple[tuple, str]]] = {}  # per (state, sort)
        self._last_number: dict[str, int] = {}  # per state; kept after deletes, never reused

    def ping(self) -> None:
        return None

    def change_token(self) -> None:
        # No cheap, global "something changed" signal here: callers must not cache.
        return None

    # states -------------------------------------------------------------------------------
    def list_states(self) -> list[State]:
        with self._lock:
            return sorted(self._states.values(), key=lambda s: s.code)

    def add_state(self, state: State) -> bool:
        with self._lock:
            if state.code in self._states:
                return False
            self._states[state.code] = state
            self._employees[state.code] = {}
            return True

    def remove_state(self, code: str, actor: str) -> int:
        with self._lock:
            if code not in self._states:
                return 0
            gone = self._employees.pop(code)
            del self._states[code]
            self._last_number.pop(code, None)  # its records are all gone: a new start
            self._forget(code)
            for employee_id in gone:
                self._history.pop((code, employee_id), None)
        now = self.clock.now()
        for employee in sorted(gone.values(), key=lambda e: e.id):
            if employee.document is not None:
                self._emit(employee, "state-offboarded", employee.document, None, actor, now)
        return len(gone)

    # employees ----------------------------------------------------------------------------
    def add_employee(self, employee: Employee, entry: HistoryEntry) -> Employee:
        return self.add_employees([employee], [entry])[0]

    def add_employees(self, employees: list[Employee],
                      entries: list[HistoryEntry]) -> list[Employee]:
        with self._lock:
            seen: set[str] = set()
            for employee in employees:
                if employee.state not in self._states:
                    raise NotFound(
                        f"The state {employee.state} is not provisioned in this HumanGov."
                    )
                if employee.id in seen or any(employee.id in s for s in self._employees.values()):
                    raise Conflict(f"An employee with id {employee.id} already exists.")
                seen.add(employee.id)
            numbered = []
            for employee in employees:
                number = self._last_number.get(employee.state, 0) + 1
                self._last_number[employee.state] = number
                numbered.append(replace(employee, number=number))
                self._employees[employee.state][employee.id] = numbered[-1]
                self._forget(employee.state)
            for entry in entries:
                self._history.setdefault((entry.state, entry.employee_id), []).append(entry)
            return numbered

    def apply_import(self, state: str, batches: Iterable[ImportBatch], actor: str) -> None:
        apply_import_in_steps(self, state, batches, actor)

    def get_employee(self, state: str, employee_id: str) -> Employee | None:
        with self._lock:
            return self._employees.get(state, {}).get(employee_id)

    def list_employees(
        self, state: str, *, q: str | None, limit: int, cursor: str | None,
        include_synthetic: bool = True, ordering: Order = NAME_ORDER, separated: bool = False,
    ) -> Page:
        if q:
            with self._lock:
                found = list(self._employees.get(state, {}).values())
            return search.search_in(found, q, limit=limit, cursor=cursor,
                                    include_synthetic=include_synthetic)
        return keyset.ordered_page(self._rows(state, include_synthetic, separated), ordering,
                                   cursor, limit, SORTS)

    def supported_sorts(self) -> tuple[str, ...]:
        return SORTS

    def count_employees(self, state: str, *, role: str | None = None,
                        include_synthetic: bool = True) -> int:
        keep = keyset.keeps(Order(role=role), include_synthetic)
        with self._lock:
            return sum(1 for e in self._employees.get(state, {}).values()
                       if keep(e.role, e.synthetic) and e.separated_on is None)

    def iter_employees(self, state: str) -> Iterator[Employee]:
        with self._lock:
            people = self._employees.get(state, {})
            snapshot = [people[i] for _, i in self._sorted(state)]
        yield from snapshot

    def update_employee(
        self, employee: Employee, expected_version: int, entry: HistoryEntry,
        reason: str = "document-replaced",
    ) -> None:
        with self._lock:
            current = self._current(employee.state, employee.id, expected_version)
            self._employees[employee.state][employee.id] = employee
            self._forget(employee.state)
            self._history.setdefault((entry.state, entry.employee_id), []).append(entry)
        old, new = current.document, employee.document
        if old is not None and (new is None or new.key != old.key):
            self._emit(employee, reason, old, new, entry.actor, entry.at)

    def delete_employee(
        self, state: str, employee_id: str, actor: str, expected_version: int | None = None,
        *, reason: str = "record-deleted",
    ) -> Employee:
        with self._lock:
            current = self._current(state, employee_id, expected_version)
            del self._employees[state][employee_id]
            self._forget(state)
            self._history.pop((state, employee_id), None)
        if current.document is not None:
            self._emit(current, reason, current.document, None, actor, self.clock.now())
        return current

    def history(self, state: str, employee_id: str) -> list[HistoryEntry]:
        with self._lock:
            return list(self._history.get((state, employee_id), []))

    # erasure support ----------------------------------------------------------------------
    def iter_document_refs(self, state: str) -> Iterator[tuple[str, str]]:
        with self._lock:
            refs = sorted(
                (e.document.key, e.id)
                for e in self._employees.get(state, {}).values() if e.document
            )
        yield from refs

    def iter_document_key_chunks(self, state: str, *, start: str | None = None,
                                 stop: str | None = None) -> Iterator[list[str]]:
        refs = (ref for ref in self.iter_document_refs(state)
                if (start is None or ref[0] >= start) and (stop is None or ref[0] < stop))
        while chunk := [key for key, _ in islice(refs, KEY_CHUNK)]:
            yield chunk

    def document_owners(self, state: str, keys: list[str]) -> list[tuple[str, str]]:
        wanted = set(keys)
        return [ref for ref in self.iter_document_refs(state) if ref[0] in wanted]

    def iter_separated(self, state: str, until: date) -> Iterator[Employee]:
        with self._lock:
            found = [e for e in self._employees.get(state, {}).values()
                     if e.separated_on is not None and e.separated_on <= until]
        yield from sorted(found, key=lambda e: (e.separated_on or until, e.id))

    def is_referenced(self, state: str, key: str) -> bool:
        with self._lock:
            return any(
                e.document is not None and e.document.key == key
                for e in self._employees.get(state, {}).values()
            )

    # helpers ------------------------------------------------------------------------------
    def _forget(self, state: str) -> None:
        self._order.pop(state, None)
        for sort in SORTS:
            self._sorted_by.pop((state, sort), None)

    def _rows(self, state: str, include_synthetic: bool, separated: bool = False) -> keyset.Rows:
        def rows(order: Order, position: keyset.Position | None, back: bool,
                 n: int) -> list[Employee]:
            keep = keyset.keeps(order, include_synthetic)
            with self._lock:
                ordered = self._sorted_by.get((state, order.sort))
                people = self._employees.get(state, {})
                if ordered is None:
                    ordered = sorted((keyset.employee_key(order.sort, e), e.id)
                                     for e in people.values())
                    self._sorted_by[(state, order.sort)] = ordered
                up = back == order.descending  # walking towards larger keys
                if position is None:
                    indexes = range(len(ordered)) if up else range(len(ordered) - 1, -1, -1)
                else:
                    key = keyset.ordered_key(order.sort, *position.key)
                    indexes = (range(bisect.bisect_right(ordered, (key, "\U0010ffff")),
                                     len(ordered)) if up
                               else range(bisect.bisect_left(ordered, (key, "")) - 1, -1, -1))
                chosen = (people[ordered[i][1]] for i in indexes)
                return list(islice((e for e in chosen if keep(e.role, e.synthetic)
                                    and (e.separated_on is not None) == separated), n))
        return rows

    def _sorted(self, state: str) -> list[tuple[tuple[str, str, str], str]]:
        order = self._order.get(state)
        if order is None:
            order = sorted(
                (keyset.sort_key(e.last_name, e.first_name, e.id), e.id)
                for e in self._employees.get(state, {}).values()
            )
            self._order[state] = order
        return order

    def _current(self, state: str, employee_id: str, expected_version: int | None) -> Employee:
        current = self._employees.get(state, {}).get(employee_id)
        if current is None:
            raise NotFound(f"There is no employee {employee_id} in {state}.")
        check_version(employee_id, expected_version, current.version)
        return current

    def _emit(
        self, employee: Employee, reason: str, old: DocumentRef | None, new: DocumentRef | None,
        actor: str, at: datetime,
    ) -> None:
        if self.on_change is not None:
            self.on_change(new_change(employee.state, employee.id, reason, old, new, actor, at,
                                      synthetic=employee.synthetic))
