"""CSV import and export. Import is all-or-nothing per file: every bad row is reported by line
number, and nothing is written unless every row is good."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from humangov.domain.errors import HumanGovError, InvalidInput
from humangov.domain.model import EDITABLE_FIELDS, Employee, FieldChange, HistoryEntry, validate_fields
from humangov.personnel.service import Personnel

COLUMNS = ("first_name", "last_name", "role", "salary")
EXPORT_COLUMNS = ("id", *COLUMNS, "has_document", "created_at", "updated_at", "version")
BATCH = 5_000


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


class ImportRejected(HumanGovError):
    title = "Import rejected"

    def __init__(self, errors: list[RowError], total_bad: int):
        self.errors, self.total_bad = errors, total_bad
        super().__init__(f"{total_bad} row(s) are invalid; nothing was imported.")


def import_csv(
    personnel: Personnel, state: str, source: TextIO, actor: str,
    *, progress: Callable[[int], None] = lambda n: None, max_errors: int = 1000,
) -> int:
    """Import employees (columns first_name,last_name,role,salary). Returns the count."""
    state = personnel.require_state(state)
    reader = csv.reader(source)
    header = next(reader, None)
    if header is None:
        raise InvalidInput("The CSV file is empty; its first line must be the header: " + ",".join(COLUMNS))
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise InvalidInput(
            f"line 1: the header lacks {', '.join(missing)}; it must name {', '.join(COLUMNS)}."
        )
    index = {c: names.index(c) for c in COLUMNS}
    now = personnel.clock.now()
    employees: list[Employee] = []
    entries: list[HistoryEntry] = []
    errors: list[RowError] = []
    bad = 0
    for line, row in _numbered(reader):
        if not any(cell.strip() for cell in row):
            continue
        try:
            if len(row) != len(names):
                raise InvalidInput(f"expected {len(names)} columns, found {len(row)}")
            values = validate_fields({c: row[i] for c, i in index.items()}, partial=False)
        except InvalidInput as exc:
            bad += 1
            if len(errors) < max_errors:
                errors.append(RowError(line, exc.detail))
            continue
        employee_id = str(uuid.uuid4())
        employees.append(Employee(employee_id, state, document=None, created_at=now, updated_at=now, **values))
        entries.append(HistoryEntry(employee_id, state, "added", actor, now, tuple(
            FieldChange(name, None, str(values[name])) for name in EDITABLE_FIELDS
        )))
        if len(employees) % BATCH == 0:
            progress(BATCH)
    progress(len(employees) % BATCH)
    if bad:
        raise ImportRejected(errors, bad)
    personnel.records.add_employees(employees, entries)
    return len(employees)


def export_rows(personnel: Personnel, state: str) -> Iterator[list[str]]:
    yield list(EXPORT_COLUMNS)
    for e in personnel.records.iter_employees(personnel.require_state(state)):
        if e.synthetic:
            continue
        yield [e.id, e.first_name, e.last_name, e.role, f"{e.salary:.2f}",
               "yes" if e.document else "no", e.created_at.isoformat(), e.updated_at.isoformat(),
               str(e.version)]


def _numbered(reader: Iterable[list[str]]) -> Iterator[tuple[int, list[str]]]:
    # csv.reader's line_num counts physical lines, so quoted newlines keep numbers right.
    for row in reader:
        yield reader.line_num, row  # type: ignore[attr-defined]
