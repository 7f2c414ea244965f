"""Adopting one state of an earlier HumanGov application: its records become employees, its
objects are copied under opaque keys, verified, and only then erased with a receipt.

Every step is idempotent, so a run killed anywhere is finished by running it again:
- the employee keeps the earlier record's id (a UUID), and its document key derives from the
  record id and the earlier key, so a rerun finds what an earlier run wrote;
- a record already in HumanGov with that document key was written only after its copy was
  verified, so the rerun goes straight to the erase;
- the erase of an earlier object runs under the change id `adopt:<state>:<record id>`, and
  the ledger keeps one receipt per change and key;
- a copy made by a run killed before its record was written is simply made again (the same
  key, the same bytes).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Protocol

from humangov.domain.erasure import Receipt
from humangov.domain.errors import InvalidInput, NotFound, StorageUnavailable
from humangov.domain.legacy import LegacyRecord
from humangov.domain.model import DocumentRef, Employee, FieldChange, HistoryEntry
from humangov.personnel.documents import HEADER_WINDOW, is_pdf_head
from humangov.ports import (
    BlobStore,
    BulkLoad,
    Clock,
    ForeignFiles,
    ImportBatch,
    Ledger,
    RecordStore,
)

# Document ids are uuid5(NAMESPACE, "<record id>:<earlier key>"): the same on every run.
NAMESPACE = uuid.UUID("5f0c6a3e-1b7d-4f44-9a52-6d1e0c2b9a71")
BATCH = 200  # records read, copied, written and erased together
WORKERS = 16  # S3 and DynamoDB calls in flight (boto3 clients are thread-safe)

ADOPTED = "adopted"
ALREADY = "already adopted"
SKIPPED = "skipped"
NO_DOCUMENT = "adopted without a document"
KEPT = "adopted; the earlier object is kept"


class LegacyRecords(Protocol):
    """An earlier application's table, read only."""

    name: str

    def check_shape(self) -> None: ...
    def records(self) -> Iterator[LegacyRecord]: ...


class LegacyObjects(BlobStore, Protocol):
    """An earlier bucket by raw key, whose versions are listed and erased in bulk: one listing
    of the bucket and one call per thousand versions, where erasing key by key would list and
    delete once per key."""

    def all_versions(self, state: str) -> dict[str, list[str]]: ...
    def delete_versions(self, state: str,
                        versions: dict[str, list[str]]) -> dict[str, str]: ...  # key: refusal


@dataclass(frozen=True)
class LegacySource:
    """One state's earlier table and bucket (`objects`: its raw keys, erased every version)."""

    state: str
    table: LegacyRecords
    bucket: str
    objects: LegacyObjects


@dataclass(frozen=True)
class Outcome:
    """What adoption did (or, in a dry run, will do) with one earlier record."""

    record_id: str
    what: str  # ADOPTED, ALREADY, SKIPPED, NO_DOCUMENT or KEPT
    key: str | None = None  # the new document key
    problem: str | None = None
    erased: bool = False  # a receipt was written for its earlier object by this run


@dataclass
class Report:
    state: str
    records: int = 0
    to_move: int = 0  # earlier objects to copy and erase (in a dry run)
    backlog: int | None = None  # objects no record names (counted in a dry run)
    outcomes: Counter[str] = field(default_factory=Counter)
    problems: list[Outcome] = field(default_factory=list)
    moved: int = 0  # copies verified by this run
    erased: int = 0  # receipts written by this run
    seconds: float = 0.0

    def count(self, outcome: Outcome) -> None:
        self.outcomes[outcome.what] += 1
        self.erased += outcome.erased
        if outcome.problem:
            self.problems.append(outcome)


def document_key(record: LegacyRecord) -> tuple[str, str]:
    """(document id, key) of the copy of the record's object: the same on every run."""
    doc_id = str(uuid.uuid5(NAMESPACE, f"{record.id}:{record.pdf}"))
    return doc_id, DocumentRef.key_for(record.id, doc_id)


def change_id(state: str, record_id: str) -> str:
    return f"adopt:{state}:{record_id}"


class Adoption:
    def __init__(self, source: LegacySource, *, records: RecordStore, blobs: BlobStore,
                 ledger: Ledger, clock: Clock, actor: str, batch: int = BATCH,
                 workers: int = WORKERS) -> None:
        self.source, self.state = source, source.state
        self.records, self.blobs, self.ledger, self.clock = records, blobs, ledger, clock
        self.actor, self.batch, self.workers = actor, batch, workers

    def check(self) -> list[LegacyRecord]:
        """Refuse an earlier table or bucket that cannot be adopted; return its records."""
        self.source.table.check_shape()
        try:
            self.source.objects.verify_space(self.state)
        except StorageUnavailable:
            raise StorageUnavailable(
                f"The bucket {self.source.bucket} is not attached to {self.state} as its earlier "
                f"bucket (it lacks the tag humangov:legacy-state={self.state}). Attach it "
                f"first: humangov legacy attach --state {self.state} --legacy-table "
                f"{self.source.table.name} --legacy-bucket {self.source.bucket}") from None
        self.blobs.verify_space(self.state)
        return [_canonical(r) for r in self.source.table.records()]

    # the plan ------------------------------------------------------------------------------
    def plan(self) -> Report:
        """What `run` will do, changing nothing."""
        started = time.monotonic()
        found = self.check()
        report = Report(self.state, records=len(found))
        shared = _shared(found)
        with ThreadPoolExecutor(self.workers) as pool:
            for outcome in pool.map(lambda r: self._foresee(r, shared), found):
                report.count(outcome)
                report.to_move += outcome.what in (ADOPTED, KEPT)
        report.backlog = self._backlog({r.pdf for r in found if r.pdf})
        report.seconds = time.monotonic() - started
        return report

    def _foresee(self, record: LegacyRecord, shared: set[str]) -> Outcome:
        problem = _problem(record)
        if problem:
            return Outcome(record.id, SKIPPED, problem=problem)
        existing = self.records.get_employee(self.state, record.id)
        if existing is not None:
            return Outcome(record.id, ALREADY)
        if record.pdf is None:
            return Outcome(record.id, NO_DOCUMENT)
        try:
            head = _head(self.source.objects.open(self.state, record.pdf))
        except NotFound:
            return Outcome(record.id, NO_DOCUMENT, problem=_missing(record))
        if not is_pdf_head(head):
            return Outcome(record.id, SKIPPED, problem=_not_pdf(record))
        key = document_key(record)[1]
        if record.pdf in shared:
            return Outcome(record.id, KEPT, key, problem=_shared_problem(record))
        return Outcome(record.id, ADOPTED, key)

    def _backlog(self, named: set[str]) -> int:
        objects = self.source.objects
        foreign: list[str] = []
        listed: Iterable[list[str]] = (
            objects.list_key_chunks(self.state, foreign=foreign)
            if isinstance(objects, ForeignFiles) else objects.list_key_chunks(self.state))
        keys = {k for chunk in listed for k in chunk}
        return len((keys | set(foreign)) - named)

    # the run -------------------------------------------------------------------------------
    def run(self, on_record: Callable[[Outcome], None] = lambda o: None,
            on_start: Callable[[int], None] = lambda n: None) -> Report:
        started = time.monotonic()
        found = self.check()
        on_start(len(found))
        report = Report(self.state, records=len(found))
        shared = _shared(found)
        # One read of each side up front, instead of a lookup per record: what an earlier run
        # already wrote, and every version of every earlier object.
        existing = {e.id: e for e in self.records.iter_employees(self.state)}
        versions = self.source.objects.all_versions(self.state)
        with ThreadPoolExecutor(self.workers) as pool:
            for start in range(0, len(found), self.batch):
                chunk = found[start:start + self.batch]
                steps = list(pool.map(lambda r: self._copy(r, shared, existing), chunk))
                self._write([s for s in steps if s.employee is not None])
                for outcome in self._erase(steps, versions):
                    report.count(outcome)
                    on_record(outcome)
                report.moved += sum(s.copied for s in steps)
        report.seconds = time.monotonic() - started
        return report

    def _copy(self, record: LegacyRecord, shared: set[str],
              adopted: dict[str, Employee]) -> _Step:
        """Copy and verify the record's object; the employee to write if it is not yet."""
        problem = _problem(record)
        if problem:
            return _Step(record, Outcome(record.id, SKIPPED, problem=problem))
        existing = adopted.get(record.id)
        if existing is not None:
            return self._resume(record, existing, shared)
        if record.pdf is None:
            return _Step(record, Outcome(record.id, NO_DOCUMENT), self._employee(record, None))
        doc_id, key = document_key(record)
        try:
            stored = self.blobs.put(self.state, key,
                                    _sniffed(self.source.objects.open(self.state, record.pdf)))
        except NotFound:
            return _Step(record, Outcome(record.id, NO_DOCUMENT, problem=_missing(record)),
                         self._employee(record, None))
        except _NotPdf:
            return _Step(record, Outcome(record.id, SKIPPED, problem=_not_pdf(record)))
        landed = hashlib.sha256()
        for chunk in self.blobs.open(self.state, key):
            landed.update(chunk)
        if landed.hexdigest() != stored.sha256:
            self.blobs.delete(self.state, key)
            return _Step(record, Outcome(record.id, SKIPPED, problem=(
                f"the copy of {record.pdf} did not match what was read (sha256); nothing was "
                "kept of it and the earlier object is untouched: run adopt again")))
        doc = DocumentRef(doc_id, key, stored.size, stored.sha256)
        what, problem = (KEPT, _shared_problem(record)) if record.pdf in shared else (ADOPTED, None)
        return _Step(record, Outcome(record.id, what, key, problem), self._employee(record, doc),
                     erase=doc if what == ADOPTED else None, copied=True)

    def _resume(self, record: LegacyRecord, existing: Employee, shared: set[str]) -> _Step:
        doc = existing.document
        if record.pdf is None or doc is None or doc.key != document_key(record)[1]:
            return _Step(record, Outcome(record.id, ALREADY))
        if record.pdf in shared:
            return _Step(record, Outcome(record.id, ALREADY, doc.key, _shared_problem(record)))
        # Written after its copy was verified: what may remain is the erase.
        return _Step(record, Outcome(record.id, ALREADY, doc.key), erase=doc)

    def _employee(self, record: LegacyRecord, doc: DocumentRef | None) -> Employee:
        values = record.fields()
        now = self.clock.now()
        return Employee(record.id, self.state, values["first_name"], values["last_name"],
                        values["role"], values["salary"], doc, now, now)

    def _write(self, steps: list[_Step]) -> None:
        employees = [s.employee for s in steps if s.employee is not None]
        if not employees:
            return
        entries = [self._entry(e) for e in employees]
        if isinstance(self.records, BulkLoad):  # `run` read what exists: these are new
            self.records.load_employees(employees, entries)
        else:
            self.records.apply_import(self.state, [ImportBatch(employees, entries)], self.actor)

    def _entry(self, e: Employee) -> HistoryEntry:
        changes: tuple[FieldChange, ...] = (FieldChange("first_name", None, e.first_name),
                   FieldChange("last_name", None, e.last_name),
                   FieldChange("role", None, e.role), FieldChange("salary", None, str(e.salary)),
                   FieldChange("adopted from", None, self.source.table.name))
        if e.document:
            changes += (FieldChange("document", None, "added"),)
        return HistoryEntry(e.id, self.state, "adopted", self.actor, e.created_at, changes)

    def _erase(self, steps: list[_Step], versions: dict[str, list[str]]) -> list[Outcome]:
        """Erase the batch's verified earlier objects, every version, and receipt each.

        An object whose versions are gone from the listing was erased by an earlier run,
        killed before its receipt: it is receipted `already-absent` unless it has one. No
        HumanGov record names a key of the earlier bucket, so there is no reference to check.
        """
        todo = {s.record.pdf: s for s in steps if s.erase is not None and s.record.pdf}
        gone = {key: versions.pop(key, []) for key in todo}
        refused = self.source.objects.delete_versions(
            self.state, {key: v for key, v in gone.items() if v})
        receipts: list[Receipt] = []
        outcomes: list[Outcome] = []
        for step in steps:
            key = step.record.pdf
            if key not in todo or step.erase is None:
                outcomes.append(step.outcome)
                continue
            change = change_id(self.state, step.record.id)
            if key in refused:
                outcomes.append(replace(step.outcome, problem=(
                    f"S3 refused to erase {key}: {refused[key]}; the copy is kept and so is "
                    "the earlier object: lift the hold, then run adopt again")))
                continue
            if not gone[key] and self.ledger.has(change, key):
                outcomes.append(step.outcome)  # erased and receipted by an earlier run
                continue
            now = self.clock.now()
            receipts.append(Receipt(
                state=self.state, key=key, size=step.erase.size, sha256=step.erase.sha256,
                reason="legacy-rekeyed", change_id=change, actor=self.actor, requested_at=now,
                erased_at=now, result="erased" if gone[key] else "already-absent",
                versions=tuple(gone[key])))
            outcomes.append(replace(step.outcome, erased=True))
        self.ledger.append(receipts)
        return outcomes


@dataclass(frozen=True)
class _Step:
    record: LegacyRecord
    outcome: Outcome
    employee: Employee | None = None  # to write
    erase: DocumentRef | None = None  # the verified copy whose earlier object is to go
    copied: bool = False


class _NotPdf(Exception):
    pass


def _sniffed(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The object's chunks, refused (before anything is stored) unless it starts as a PDF."""
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= HEADER_WINDOW:
            break
    if not is_pdf_head(head):
        raise _NotPdf
    yield head
    yield from chunks


def _head(chunks: Iterator[bytes]) -> bytes:
    head = b""
    try:
        for chunk in chunks:
            head += chunk
            if len(head) >= HEADER_WINDOW:
                break
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return head


def _canonical(record: LegacyRecord) -> LegacyRecord:
    # HumanGov looks employees up by the lower-case form of their UUID.
    try:
        return replace(record, id=str(uuid.UUID(record.id)))
    except ValueError:
        return record  # reported as a problem


def _shared(records: list[LegacyRecord]) -> set[str]:
    counts = Counter(r.pdf for r in records if r.pdf)
    return {key for key, n in counts.items() if n > 1}


def _problem(record: LegacyRecord) -> str | None:
    try:
        uuid.UUID(record.id)
    except ValueError:
        return f"its id {record.id[:64]!r} is not a UUID"
    try:
        record.fields()
    except InvalidInput as exc:
        return exc.detail
    return None


def _missing(record: LegacyRecord) -> str:
    return f"its object {record.pdf} is not in the earlier bucket"


def _not_pdf(record: LegacyRecord) -> str:
    return (f"its object {record.pdf} is not a PDF (it does not start with %PDF-); fix or "
            "remove the object, then run adopt again")


def _shared_problem(record: LegacyRecord) -> str:
    return (f"its object {record.pdf} is named by other records too: each gets its own copy, "
            "and the earlier object is kept while the earlier table names it")
