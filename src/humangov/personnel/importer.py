"""CSV import and export.

Import is all-or-nothing per file: every bad row is reported by line number, and nothing is
written unless every row is good. Rows add employees, or, with `action` = `delete` and an
`id`, delete them (their documents are then queued for erasure, like any other delete).
Optional `separated_on` and `separation_reason` columns (as the export writes them) add an
employee already separated, or, with `action` = `separate` and an `id`, separate an existing
one, as `Personnel.separate_employee` does (a `separated` history entry, and the retention
schedule's expiry on stores that expire records themselves).
Batches stream into one open transaction, so memory stays flat however long the file is;
a bad row makes the batch stream raise at its end, which rolls it all back. (Parsing in a
second thread was measured slower: the GIL is the bottleneck, not SQLite.)

With a folder of documents (`documents`), an optional `document` column names a PDF in that
folder for each added employee: it is stored under a new opaque key with its sha256, as an
upload would be. A missing or non-PDF file is the row's error. The folder's files are only
read, never moved or deleted (they are the operator's export). Documents are stored before
the rows commit: if the import is rejected or fails they are erased at once, and a crash in
between leaves files that the orphan sweep erases after its grace period.
"""

from __future__ import annotations

import csv
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TextIO

from humangov.domain.errors import (
    Conflict,
    DocumentTooLarge,
    HumanGovError,
    InvalidInput,
    UnsupportedDocument,
)
from humangov.domain.model import (
    DocumentRef,
    Employee,
    FieldChange,
    HistoryEntry,
    csv_safe,
    new_id,
    parse_separation,
    validate_fields,
)
from humangov.personnel.documents import HEADER_WINDOW, is_pdf_head, not_a_pdf
from humangov.personnel.service import Personnel, separation
from humangov.ports import ImportBatch

COLUMNS = ("first_name", "last_name", "role", "salary")
SEPARATION = ("separated_on", "separation_reason")
OPTIONAL = ("id", "action", "document", *SEPARATION)
# Columns are only ever added at the end, so a reader of the earlier ones by position still works.
EXPORT_COLUMNS = ("id", *COLUMNS, "has_document", "created_at", "updated_at", "version",
                  "number", *SEPARATION)
BATCH = 5_000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


class ImportRejected(HumanGovError):
    title = "Import rejected"

    def __init__(self, errors: list[RowError], total_bad: int):
        self.errors, self.total_bad = errors, total_bad
        super().__init__(f"{total_bad} row(s) are invalid; nothing was imported.")


@dataclass
class ImportResult:
    added: int = 0
    deleted: int = 0
    separated: int = 0  # existing employees separated (those added separated count as added)


def import_csv(
    personnel: Personnel, state: str, source: TextIO, actor: str,
    *, progress: Callable[[int], None] = lambda n: None, max_errors: int = 1000,
    documents: Path | None = None,
) -> ImportResult:
    """Import a CSV (first_name,last_name,role,salary[,id,action,document,separated_on,
    separation_reason]) into `state`; `document` names a file in the folder `documents`."""
    state = personnel.require_state(state)
    parser = _Parser(personnel, state, source, actor, max_errors, documents)
    try:
        personnel.records.apply_import(state, parser.batches(progress), actor)
    except BaseException:
        parser.forget_documents()
        raise
    if parser.result.deleted:
        personnel.erasure_queued()
    for employee in parser.separated:
        personnel.saved(employee)
    return parser.result


def export_rows(personnel: Personnel, state: str) -> Iterator[list[str]]:
    yield list(EXPORT_COLUMNS)
    for e in personnel.records.iter_employees(personnel.require_state(state)):
        if e.synthetic:
            continue
        yield [e.id, csv_safe(e.first_name), csv_safe(e.last_name), csv_safe(e.role),
               f"{e.salary:.2f}", "yes" if e.document else "no", e.created_at.isoformat(),
               e.updated_at.isoformat(), str(e.version), str(e.number),
               e.separated_on.isoformat() if e.separated_on else "",
               csv_safe(e.separation_reason or "")]


class _Parser:
    def __init__(self, personnel: Personnel, state: str, source: TextIO, actor: str,
                 max_errors: int, documents: Path | None):
        self.personnel, self.state, self.actor = personnel, state, actor
        self.documents = documents
        self.stored: list[str] = []  # keys of the documents stored so far
        self.max_errors = max_errors
        self.reader = csv.reader(source)
        self.result = ImportResult()
        self.errors: list[RowError] = []
        self.bad = 0
        self.now = personnel.clock.now()
        self.separated: list[Employee] = []  # for the listeners, once the import is kept

    def batches(self, progress: Callable[[int], None]) -> Iterator[ImportBatch]:
        index, width = self._header()
        employees: list[Employee] = []
        entries: list[HistoryEntry] = []
        deletes: list[str] = []
        separations: list[tuple[Employee, HistoryEntry]] = []
        seen_deletes: set[str] = set()
        seen_separations: set[str] = set()
        for line, row in _numbered(self.reader):
            if not any(cell.strip() for cell in row):
                continue
            try:
                if len(row) != width:
                    raise InvalidInput(f"expected {width} columns, found {len(row)}")
                action = row[index["action"]].strip().lower() if "action" in index else ""
                if action == "delete":
                    deletes.append(self._delete_target(row, index, seen_deletes))
                elif action == "separate":
                    separations.append(self._separate(row, index, seen_separations, seen_deletes))
                elif action in ("", "add"):
                    self._add(row, index, employees, entries)
                else:
                    raise InvalidInput(f"action must be add, separate or delete, not {action!r}")
            except InvalidInput as exc:
                self.bad += 1
                if len(self.errors) < self.max_errors:
                    self.errors.append(RowError(line, exc.detail))
                continue
            if len(employees) + len(deletes) + len(separations) >= BATCH:
                yield from self._flush(ImportBatch(employees, entries, deletes, separations),
                                       progress)
                employees, entries, deletes, separations = [], [], [], []
        yield from self._flush(ImportBatch(employees, entries, deletes, separations), progress)
        if self.bad:
            raise ImportRejected(self.errors, self.bad)

    def _flush(self, batch: ImportBatch,
               progress: Callable[[int], None]) -> Iterator[ImportBatch]:
        self.result.added += len(batch.employees)
        self.result.deleted += len(batch.deletes)
        self.result.separated += len(batch.separations)
        progress(len(batch.employees) + len(batch.deletes) + len(batch.separations))
        if not self.bad:  # once a row is bad nothing will be kept: stop writing, keep checking
            self.separated += [e for e in batch.employees if e.separated_on is not None]
            self.separated += [e for e, _ in batch.separations]
            yield batch

    def _header(self) -> tuple[dict[str, int], int]:
        header = next(self.reader, None)
        if header is None:
            raise InvalidInput("The CSV file is empty; its first line must be the header: "
                               + ",".join(COLUMNS))
        names = [h.strip().lower() for h in header]
        missing = [c for c in COLUMNS if c not in names]
        if missing:
            raise InvalidInput(
                f"line 1: the header lacks {', '.join(missing)}; it must name {', '.join(COLUMNS)} "
                f"(and optionally {', '.join(OPTIONAL)})."
            )
        if "document" in names and self.documents is None:
            raise InvalidInput("line 1: the header has a document column: pass --documents "
                               "DIR, the folder holding the files it names.")
        return {c: names.index(c) for c in (*COLUMNS, *OPTIONAL) if c in names}, len(names)

    def _add(self, row: list[str], index: dict[str, int], employees: list[Employee],
             entries: list[HistoryEntry]) -> None:
        values = validate_fields({c: row[index[c]] for c in COLUMNS}, partial=False)
        first, last = values["first_name"], values["last_name"]
        role, salary = values["role"], values["salary"]
        employee_id, state, now = new_id(), self.state, self.now
        name = row[index["document"]].strip() if "document" in index else ""
        left = _separation(row, index)
        doc = self._document(name, employee_id) if name else None
        added = Employee(employee_id, state, first, last, role, salary, doc, now, now)
        employees.append(added)
        entries.append(HistoryEntry(employee_id, state, "added", self.actor, now, (
            FieldChange("first_name", None, first), FieldChange("last_name", None, last),
            FieldChange("role", None, role), FieldChange("salary", None, str(salary)),
        ) + ((FieldChange("document", None, "added"),) if doc else ())))
        if left is not None:
            separated, entry = separation(added, *left, self.actor, now)
            employees[-1] = replace(separated, version=added.version)  # added as it is
            entries.append(entry)

    def _document(self, name: str, employee_id: str) -> DocumentRef | None:
        """Store the named file for the employee (checked only once a row is bad, since
        nothing will be kept)."""
        assert self.documents is not None  # the header check requires it
        folder = self.documents.resolve()
        path = (folder / name).resolve()
        if not path.is_relative_to(folder) or not path.is_file():
            raise InvalidInput(f"document {name!r} is not a file in {self.documents}")
        try:
            with path.open("rb") as stream:
                if self.bad:
                    if not is_pdf_head(stream.read(HEADER_WINDOW)):
                        raise not_a_pdf()
                    return None
                doc = self.personnel.store_document(self.state, employee_id, stream)
        except (UnsupportedDocument, DocumentTooLarge) as exc:
            raise InvalidInput(f"document {name!r}: {exc.detail}") from None
        self.stored.append(doc.key)
        return doc

    def forget_documents(self) -> None:
        """Erase the documents stored for an import that is not kept."""
        for key in self.stored:
            try:
                self.personnel.blobs.delete(self.state, key)
            except Exception:  # the orphan sweep is the safety net
                log.exception("could not erase %s/%s of a rejected import", self.state, key)

    def _delete_target(self, row: list[str], index: dict[str, int], seen: set[str]) -> str:
        employee_id = _row_id(row, index, "delete")
        if employee_id in seen:
            raise InvalidInput(f"employee {employee_id} is already deleted by an earlier row")
        self._existing(employee_id, "delete")
        seen.add(employee_id)
        return employee_id

    def _separate(self, row: list[str], index: dict[str, int], seen: set[str],
                  deleted: set[str]) -> tuple[Employee, HistoryEntry]:
        employee_id = _row_id(row, index, "separate")
        left = _separation(row, index)
        if left is None:
            raise InvalidInput("a separate row needs separated_on and separation_reason")
        for earlier, done in ((deleted, "deleted"), (seen, "separated")):
            if employee_id in earlier:
                raise InvalidInput(f"employee {employee_id} is already {done} by an earlier row")
        current = self._existing(employee_id, "separate")
        try:
            separated = separation(current, *left, self.actor, self.now)
        except Conflict as exc:
            raise InvalidInput(exc.detail) from None
        seen.add(employee_id)
        return separated

    def _existing(self, employee_id: str, verb: str) -> Employee:
        employee = self.personnel.records.get_employee(self.state, employee_id)
        if employee is None:
            raise InvalidInput(f"there is no employee {employee_id} in {self.state} to {verb}")
        return employee


def _row_id(row: list[str], index: dict[str, int], verb: str) -> str:
    raw = row[index["id"]].strip() if "id" in index else ""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise InvalidInput(
            f"a {verb} row needs the employee's id (a UUID) in the id column"
        ) from None


def _separation(row: list[str], index: dict[str, int]) -> tuple[date, str] | None:
    """The row's separation (date, reason), if it gives one: both or neither."""
    on, why = (row[index[c]].strip() if c in index else "" for c in SEPARATION)
    if not on and not why:
        return None
    if not why:
        raise InvalidInput("separated_on is given without separation_reason (such as resigned)")
    if not on:
        raise InvalidInput("separation_reason is given without separated_on (the date the "
                           "employee left, such as 2026-06-30)")
    return parse_separation(on, why)


def _numbered(reader: Iterable[list[str]]) -> Iterator[tuple[int, list[str]]]:
    # csv.reader's line_num counts physical lines, so quoted newlines keep numbers right.
    for row in reader:
        yield reader.line_num, row  # type: ignore[attr-defined]
