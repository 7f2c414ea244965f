"""RecordStore adapters: memory (tests, fakes), SQLite (the embedded default) and DynamoDB."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Protocol

from humangov.domain.errors import NotFound
from humangov.domain.model import Employee, HistoryEntry
from humangov.ports import ImportBatch


class AddsInBulk(Protocol):
    """The calls `apply_import_in_steps` makes on a store."""

    def get_employee(self, state: str, employee_id: str) -> Employee | None: ...
    def add_employees(
        self, employees: list[Employee], entries: list[HistoryEntry]
    ) -> list[Employee]: ...
    def update_employee(
        self, employee: Employee, expected_version: int, entry: HistoryEntry
    ) -> None: ...
    def delete_employee(
        self, state: str, employee_id: str, actor: str, expected_version: int | None = None
    ) -> Employee: ...


def numbered(employees: list[Employee], claim: Callable[[str, int], int]) -> list[Employee]:
    """The employees with their states' next numbers, in the order given. `claim(state, n)`
    claims a block of n numbers on the state's counter in one step and returns its last, so
    an import of thousands costs one claim per state."""
    count: dict[str, int] = {}
    for e in employees:
        count[e.state] = count.get(e.state, 0) + 1
    following = {state: claim(state, n) - n for state, n in count.items()}
    out = []
    for e in employees:
        following[e.state] += 1
        out.append(replace(e, number=following[e.state]))
    return out


def apply_import_in_steps(store: AddsInBulk, state: str, batches: Iterable[ImportBatch],
                          actor: str) -> None:
    """`apply_import` for stores without one big transaction: read every batch first (so a
    bad row, which raises out of `batches`, applies nothing), check that every employee to
    separate or delete exists, then apply."""
    employees: list[Employee] = []
    entries: list[HistoryEntry] = []
    deletes: list[str] = []
    separations: list[tuple[Employee, HistoryEntry]] = []
    for batch in batches:
        employees += batch.employees
        entries += batch.entries
        deletes += batch.deletes
        separations += batch.separations
    for employee_id in [*(e.id for e, _ in separations), *deletes]:
        if store.get_employee(state, employee_id) is None:
            raise NotFound(f"There is no employee {employee_id} in {state}.")
    store.add_employees(employees, entries)
    for employee, entry in separations:
        store.update_employee(employee, employee.version - 1, entry)
    for employee_id in deletes:
        store.delete_employee(state, employee_id, actor)
