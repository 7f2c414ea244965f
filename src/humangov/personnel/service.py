"""Employees and their documents: the use cases behind the API, the UI, the CLI and imports."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime
from types import TracebackType
from typing import Any, BinaryIO

from humangov.domain.errors import Conflict, InvalidInput, NotFound
from humangov.domain.model import (
    DocumentRef,
    Employee,
    FieldChange,
    HistoryEntry,
    action_for,
    diff,
    new_id,
    parse_separation,
    validate_fields,
)
from humangov.domain.states import State, normalize_code, state_for
from humangov.personnel.documents import pdf_chunks
from humangov.ports import (
    NAME_ORDER,
    BlobStore,
    Clock,
    JsonPage,
    Order,
    Page,
    RecordStore,
    StateSpaces,
)

log = logging.getLogger(__name__)

MAX_PAGE = 200
STATES_CACHE_SECONDS = 2.0


class Personnel:
    def __init__(
        self, records: RecordStore, blobs: BlobStore, clock: Clock, *, max_document_bytes: int,
        erasure_queued: Callable[[], None] = lambda: None,
    ):
        self.records = records
        # Called with a separated employee after each write of it (retention's TTL).
        self.separated_listeners: list[Callable[[Employee], None]] = []
        # Called after a commit that queued an erasure, so an in-process worker starts at once.
        self.erasure_queued = erasure_queued
        self.blobs = blobs
        self.clock = clock
        self.max_document_bytes = max_document_bytes
        self._states: frozenset[str] = frozenset()
        self._states_expire = 0.0

    # states -------------------------------------------------------------------------------
    def list_states(self) -> list[State]:
        return self.records.list_states()

    def is_provisioned(self, code: str) -> bool:
        # Cached briefly: every request asks, and states change rarely (and from the CLI).
        now = time.monotonic()
        if now >= self._states_expire:
            self._states = frozenset(s.code for s in self.records.list_states())
            self._states_expire = now + STATES_CACHE_SECONDS
        return code in self._states

    def require_state(self, code: str) -> str:
        """The canonical code of a provisioned state, or NotFound."""
        canonical = normalize_code(code)
        if not self.is_provisioned(canonical):
            raise NotFound(f"The state {canonical} is not provisioned in this HumanGov.")
        return canonical

    def add_state(self, code: str, *, recreate_missing_store: bool = False) -> bool:
        """Provision a state; True if it is new. The store first, so a provisioned state
        always has its space. A state already provisioned keeps the space it has: its space
        is marked as the state's if it is not yet (data from an earlier release), but a
        missing one is not recreated (StorageUnavailable says so) unless the operator says
        its documents are lost (`recreate_missing_store`), since an empty space in its place
        would have every pending erasure receipted 'already absent'."""
        state = state_for(code)
        if isinstance(self.blobs, StateSpaces):
            known = any(s.code == state.code for s in self.records.list_states())
            self.blobs.provision_state(state.code, create=recreate_missing_store or not known)
        created = self.records.add_state(state)
        self._states_expire = 0.0
        return created

    def remove_state(self, code: str, actor: str) -> int:
        """Offboard a state: its records go, and every document is queued for erasure."""
        removed = self.records.remove_state(self.require_state(code), actor)
        self._states_expire = 0.0
        self.erasure_queued()
        return removed

    # employees ----------------------------------------------------------------------------
    def add_employee(
        self, state: str, fields: dict[str, Any], document: BinaryIO | None, actor: str,
        *, synthetic: bool = False,
    ) -> Employee:
        values = validate_fields(fields, partial=False)
        state = self.require_state(state)
        now = self.clock.now()
        employee_id = new_id()
        doc = self.store_document(state, employee_id, document) if document is not None else None
        employee = Employee(
            id=employee_id, state=state, created_at=now, updated_at=now, document=doc,
            synthetic=synthetic, **values,
        )
        entry = HistoryEntry(employee_id, state, "added", actor, now, tuple(
            FieldChange(name, None, str(values[name])) for name in values
        ) + ((FieldChange("document", None, "added"),) if doc else ()))
        with self._compensating(state, doc):
            return self.records.add_employee(employee, entry)  # numbered by the store

    def get_employee(self, state: str, employee_id: str) -> Employee:
        employee = self.records.get_employee(self.require_state(state), _uuid(employee_id))
        if employee is None:
            raise NotFound(f"There is no employee {employee_id} in {state.upper()}.")
        return employee

    def list_employees(
        self, state: str, *, q: str | None = None, limit: int = 50, cursor: str | None = None,
        include_synthetic: bool = True, ordering: Order = NAME_ORDER, separated: bool = False,
    ) -> Page:
        """A page of the state's employees: matches of `q` (which orders them itself), or
        everyone in `ordering`, previous and next pages by cursor."""
        return self.records.list_employees(**self._page_query(
            state, q, limit, cursor, include_synthetic, ordering, separated))

    def list_employees_json(
        self, state: str, *, q: str | None = None, limit: int = 50, cursor: str | None = None,
        include_synthetic: bool = True, ordering: Order = NAME_ORDER, separated: bool = False,
    ) -> JsonPage | None:
        """`list_employees` as the API's JSON, when the store renders it (None: it does not,
        and the caller renders the objects)."""
        # Looked up, not isinstance(RenderedPages): a Protocol check costs ~15 us a request.
        render = getattr(self.records, "list_employees_json", None)
        if render is None:
            return None
        return render(**self._page_query(
            state, q, limit, cursor, include_synthetic, ordering, separated))

    def _page_query(self, state: str, q: str | None, limit: int, cursor: str | None,
                    include_synthetic: bool, ordering: Order, separated: bool) -> dict:
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}.", field="limit")
        q = " ".join(q.split()) if q else None
        return {"state": self.require_state(state), "q": q or None, "limit": limit,
                "cursor": cursor, "include_synthetic": include_synthetic,
                "ordering": self.list_order(ordering), "separated": separated}

    def list_sorts(self) -> tuple[str, ...]:
        return self.records.supported_sorts()

    def list_order(self, ordering: Order) -> Order:
        """`ordering` checked against what the store lists by, its role filter tidied like a
        stored role (so " clerk " finds "Clerk"), `start` kept for ascending names only."""
        if ordering.sort not in self.records.supported_sorts():
            raise InvalidInput(
                f"sort must be one of {', '.join(self.records.supported_sorts())} here.",
                field="sort")
        role = (" ".join(ordering.role.split()) or None) if ordering.role else None
        # A jump to a letter is a place in ascending name order; other orders start at the top.
        by_name = ordering.sort == "name" and not ordering.descending
        start = ordering.start if by_name else None
        if (role, start) == (ordering.role, ordering.start):
            return ordering  # as asked (most are): no copy
        return replace(ordering, role=role, start=start)

    def count_employees(self, state: str, *, role: str | None = None,
                        include_synthetic: bool = True) -> int:
        role = self.list_order(Order(role=role)).role
        return self.records.count_employees(self.require_state(state), role=role,
                                            include_synthetic=include_synthetic)

    def update_employee(
        self, state: str, employee_id: str, raw: dict[str, Any], actor: str,
        expected_version: int | None = None,
    ) -> Employee:
        values = validate_fields(raw, partial=True)
        if not raw:
            raise InvalidInput(
                "Send at least one field to change: first_name, last_name, role or salary."
            )
        current = self.get_employee(state, employee_id)
        changes = diff(current, values)
        if not changes:
            return current
        updated = current.with_changes(values, self.clock.now())
        entry = HistoryEntry(
            current.id, current.state, action_for(changes), actor, updated.updated_at, changes
        )
        self.records.update_employee(updated, _expected(current, expected_version), entry)
        self.saved(updated)
        return updated

    def separate_employee(
        self, state: str, employee_id: str, on: Any, reason: Any, actor: str,
        expected_version: int | None = None,
    ) -> Employee:
        """Mark an employee separated: out of the default lists, history kept, and from
        then on under the state's retention schedule."""
        when, why = parse_separation(on, reason)
        current = self.get_employee(state, employee_id)
        updated, entry = separation(current, when, why, actor, self.clock.now())
        self.records.update_employee(updated, _expected(current, expected_version), entry)
        self.saved(updated)
        return updated

    def replace_document(
        self, state: str, employee_id: str, document: BinaryIO, actor: str,
        expected_version: int | None = None,
    ) -> Employee:
        current = self.get_employee(state, employee_id)
        doc = self.store_document(current.state, current.id, document)
        now = self.clock.now()
        updated = replace(current, document=doc, updated_at=now, version=current.version + 1)
        change = FieldChange("document", "present" if current.document else None, "replaced")
        entry = HistoryEntry(current.id, current.state, "document-replaced", actor, now, (change,))
        with self._compensating(current.state, doc):
            self.records.update_employee(updated, _expected(current, expected_version), entry)
        self.erasure_queued()
        self.saved(updated)
        return updated

    def delete_employee(
        self, state: str, employee_id: str, actor: str, expected_version: int | None = None,
        *, reason: str = "record-deleted",
    ) -> Employee:
        state = self.require_state(state)
        deleted = self.records.delete_employee(state, _uuid(employee_id), actor, expected_version,
                                               reason=reason)
        self.erasure_queued()
        return deleted

    def open_document(self, state: str, employee_id: str) -> tuple[Employee, Iterator[bytes]]:
        employee = self.get_employee(state, employee_id)
        if employee.document is None:
            raise NotFound(f"Employee {employee.id} has no document on file.")
        try:
            return employee, self.blobs.open(employee.state, employee.document.key)
        except NotFound:
            raise NotFound(
                f"The document of employee {employee.id} is missing from storage. "
                "Upload it again; the orphan scan lists such dangling references."
            ) from None

    def history(self, state: str, employee_id: str) -> list[HistoryEntry]:
        state = self.require_state(state)
        entries = self.records.history(state, _uuid(employee_id))
        if not entries:
            raise NotFound(f"There is no employee {employee_id} in {state}.")
        return entries

    # helpers ------------------------------------------------------------------------------
    def store_document(self, state: str, employee_id: str, stream: BinaryIO) -> DocumentRef:
        """Store a PDF under a new opaque key of the employee's; the caller records it."""
        doc_id = new_id()
        key = DocumentRef.key_for(employee_id, doc_id)
        stored = self.blobs.put(state, key, pdf_chunks(stream, self.max_document_bytes),
                                max_size=self.max_document_bytes)
        return DocumentRef(doc_id, key, stored.size, stored.sha256)

    def saved(self, employee: Employee) -> None:
        """After an employee is written: a separated one is handed to the listeners."""
        if employee.separated_on is not None:
            for listener in self.separated_listeners:
                listener(employee)

    def _compensating(self, state: str, doc: DocumentRef | None) -> _Compensation:
        return _Compensation(self.blobs, state, doc)


class _Compensation:
    """If the record transaction fails, erase the file just uploaded, at once.

    A crash between upload and commit skips this; the orphan sweep catches that file after
    the grace period.
    """

    def __init__(self, blobs: BlobStore, state: str, doc: DocumentRef | None):
        self.blobs, self.state, self.doc = blobs, state, doc

    def __enter__(self) -> _Compensation:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is not None and self.doc is not None:
            try:
                self.blobs.delete(self.state, self.doc.key)
            except Exception:  # the sweep is the safety net; never mask the original error
                log.exception("compensating erase failed for %s/%s", self.state, self.doc.key)


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise NotFound(
            f"There is no employee {str(value)[:64]!r}; employee ids are UUIDs."
        ) from None


def _expected(current: Employee, expected: int | None) -> int:
    return current.version if expected is None else expected


def separation(current: Employee, when: date, why: str, actor: str,
               now: datetime) -> tuple[Employee, HistoryEntry]:
    """The employee separated (one version on) and the history entry saying so."""
    if current.separated_on is not None:
        raise Conflict(f"Employee {current.id} was already separated on "
                       f"{current.separated_on.isoformat()}.")
    updated = replace(current, separated_on=when, separation_reason=why, updated_at=now,
                      version=current.version + 1)
    return updated, HistoryEntry(current.id, current.state, "separated", actor, now, (
        FieldChange("separated_on", None, when.isoformat()),
        FieldChange("separation_reason", None, why)))
