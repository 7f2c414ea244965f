"""Ports: what the use cases need from the outside world.

Every call carries the tenant (the state code); adapters keep tenants apart.
Adapters translate infrastructure errors into `humangov.domain.errors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import BinaryIO, Protocol, runtime_checkable

from humangov.domain.audit import AuditEvent
from humangov.domain.auth import ApiToken, LoginSession, User
from humangov.domain.erasure import ErasureIntent, Receipt, SweepRun
from humangov.domain.holds import Hold
from humangov.domain.model import Employee, HistoryEntry
from humangov.domain.requests import ErasureRequest
from humangov.domain.retention import Schedule
from humangov.domain.states import State


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Employee]
    next_cursor: str | None
    prev_cursor: str | None = None  # set on a page reached by a cursor, when rows lie before it


SORTS = ("name", "role", "salary", "updated")


@dataclass(frozen=True, slots=True)
class Order:
    """How a listing without a search is ordered and filtered. Every sort ends in (last name,
    first name, id), so the order is total and a keyset cursor is exact; `descending`
    reverses all of it. `role` keeps only that role, compared ASCII-caselessly. `start`
    (ascending name order only) begins the first page at the last names from that text on:
    jump to a letter."""

    sort: str = "name"  # one of SORTS
    descending: bool = False
    role: str | None = None
    start: str | None = None


NAME_ORDER = Order()


@dataclass(frozen=True, slots=True)
class ImportBatch:
    """Part of an all-or-nothing import: employees to add (with their history), existing
    employees separated (each as it is to be stored, one version on, with its history entry;
    applied after the adds) and ids of employees to delete (whose documents are then queued
    for erasure)."""

    employees: list[Employee]
    entries: list[HistoryEntry]
    deletes: list[str] = field(default_factory=list)
    separations: list[tuple[Employee, HistoryEntry]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class JsonPage:
    """A page whose items are already the API's employee objects: one JSON array (UTF-8)."""
    items: bytes
    next_cursor: str | None
    prev_cursor: str | None = None


@runtime_checkable
class RenderedPages(Protocol):
    """Optional: list pages rendered by the database itself as the API's employee JSON
    (web.schemas.employee_json, field for field), so the hottest reads build no objects.
    The same pages, cursors and errors as `RecordStore.list_employees`; measured in
    docs/benchmarks.md, held to the object path by tests/api/test_rendered_pages.py."""

    def list_employees_json(
        self, state: str, *, q: str | None, limit: int, cursor: str | None,
        include_synthetic: bool = True, ordering: Order = NAME_ORDER, separated: bool = False,
    ) -> JsonPage: ...


@runtime_checkable
class RecordStore(Protocol):
    """Employee records per state, with their history.

    Mutations that drop a document reference (delete, replace, state removal) record an
    erasure intent atomically with the change: an outbox row in SQL stores, the stream
    on DynamoDB.
    """

    def ping(self) -> None: ...
    def change_token(self) -> object | None: ...  # changes on every commit; None: do not cache

    # states
    def list_states(self) -> list[State]: ...
    def add_state(self, state: State) -> bool: ...  # True if created
    def remove_state(self, code: str, actor: str) -> int: ...  # employees removed

    # employees
    def add_employee(self, employee: Employee, entry: HistoryEntry) -> Employee: ...
    # ^ the employee as stored, with the state's next employee number (imports and bulk loads
    #   number theirs too, in the order given)
    def apply_import(self, state: str, batches: Iterable[ImportBatch], actor: str) -> None: ...
    # ^ one transaction where the store has them: if `batches` raises, nothing is applied
    def get_employee(self, state: str, employee_id: str) -> Employee | None: ...
    def list_employees(
        self, state: str, *, q: str | None, limit: int, cursor: str | None,
        include_synthetic: bool = True, ordering: Order = NAME_ORDER,
        separated: bool = False,  # True: the separated employees alone; False: the others
    ) -> Page: ...
    def supported_sorts(self) -> tuple[str, ...]: ...  # of SORTS, those list_employees takes
    def count_employees(self, state: str, *, role: str | None = None,
                        include_synthetic: bool = True) -> int: ...
    def iter_employees(self, state: str) -> Iterator[Employee]: ...
    # `reason` is the erasure reason of a document the change drops
    def update_employee(
        self, employee: Employee, expected_version: int, entry: HistoryEntry,
        reason: str = "document-replaced",
    ) -> None: ...
    def delete_employee(
        self, state: str, employee_id: str, actor: str, expected_version: int | None = None,
        *, reason: str = "record-deleted",
    ) -> Employee: ...  # `reason`: the erasure reason its document's receipt gives
    def history(self, state: str, employee_id: str) -> list[HistoryEntry]: ...

    # erasure support
    def is_referenced(self, state: str, key: str) -> bool: ...
    # The sweep's fast path: referenced keys alone, sorted, in lists (a key repeats once per
    # record holding it); then the owners of the few keys found missing.
    def iter_document_key_chunks(
        self, state: str, *, start: str | None = None, stop: str | None = None,
    ) -> Iterator[list[str]]: ...  # only keys with start <= key < stop (either bound optional)
    def document_owners(
        self, state: str, keys: list[str]
    ) -> list[tuple[str, str]]: ...  # (key, employee id)


@dataclass(frozen=True, slots=True)
class StoredBlob:
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class BlobInfo:
    key: str
    size: int
    last_modified: datetime


@dataclass(frozen=True, slots=True)
class Erased:
    """What `BlobStore.delete` removed. `existed` is False for an idempotent no-op."""

    existed: bool
    versions: tuple[str, ...] = ()


@runtime_checkable
class BlobStore(Protocol):
    """Documents per state. Keys look like `<employee id>/<document id>.pdf`."""

    def ping(self) -> None: ...
    def put(
        self, state: str, key: str, chunks: BinaryIO | Iterable[bytes], *,
        max_size: int | None = None,
    ) -> StoredBlob: ...  # raises DocumentTooLarge and leaves nothing behind
    def open(self, state: str, key: str) -> Iterator[bytes]: ...  # raises NotFound
    def stat(self, state: str, key: str) -> BlobInfo | None: ...
    def delete(self, state: str, key: str) -> Erased: ...  # idempotent
    # ^ reports `existed=False` only when the state's own space answered that the key is not
    #   there: a missing space, or one without the state's identity, raises StorageUnavailable
    def verify_space(self, state: str) -> None: ...
    # ^ raises StorageUnavailable, saying what is wrong, unless the state's space (its folder,
    #   its bucket) exists and carries the identity written when the state was provisioned
    def list_key_chunks(
        self, state: str, *, start: str | None = None, stop: str | None = None,
    ) -> Iterator[list[str]]: ...
    # ^ all keys with start <= key < stop (either bound optional), in lists: each list's keys
    #   sort after every key of the lists before it, in any order within the list (so a store
    #   need not sort what it reads)


@runtime_checkable
class BulkLoad(Protocol):
    """A record store that writes many new employees faster without a transaction than
    `apply_import` with one (DynamoDB's BatchWriteItem). No condition guards the writes: the
    caller must know the employees are new (adoption reads what exists first)."""

    def load_employees(self, employees: list[Employee], entries: list[HistoryEntry]) -> None: ...


@runtime_checkable
class SearchIndex(Protocol):
    """A record store whose search entries are items beside the employees (DynamoDB), which
    employees written before search existed lack until rebuilt. Idempotent."""

    def rebuild_search_index(self, state: str) -> int: ...  # employees indexed


@runtime_checkable
class Separations(Protocol):
    """A record store that finds separated employees by date without reading the others
    (SQLite's partial index), for the retention run."""

    def iter_separated(self, state: str, until: date) -> Iterator[Employee]: ...
    # ^ every employee of the state separated on or before `until`, oldest separation first


@runtime_checkable
class RetentionExpiry(Protocol):
    """A record store that erases an expired record by itself (DynamoDB's TTL): retention
    sets the time, and the deletion arrives through the stream like any other."""

    def set_expiry(self, state: str, employee_id: str, at: datetime | None) -> bool: ...
    # ^ False when there is no such employee


class RetentionSchedules(Protocol):
    """The retention schedule in force per state (none: nothing expires)."""

    def schedule(self, state: str) -> Schedule | None: ...
    def set_schedule(self, schedule: Schedule) -> None: ...
    def schedules(self) -> list[Schedule]: ...  # by state


@runtime_checkable
class SplitKeySpace(Protocol):
    """A blob store whose keys spread evenly over known names, so a sweep can scan them in
    parallel ranges (the filesystem store's fan-out folders)."""

    def key_split_points(self, state: str, parts: int) -> list[str]: ...


@runtime_checkable
class ForeignFiles(Protocol):
    """A blob store whose space can hold files under names HumanGov did not give them (anyone
    can drop a file into a state's folder). Its listing also collects those files' paths, so
    the sweep can report them, and `foreign_files()` stats, reads and erases by those paths."""

    def list_key_chunks(
        self, state: str, *, start: str | None = None, stop: str | None = None,
        foreign: list[str] | None = None,
    ) -> Iterator[list[str]]: ...
    def foreign_files(self) -> BlobStore: ...


@runtime_checkable
class StateSpaces(Protocol):
    """A blob store that keeps a space per state which provisioning must create (the
    filesystem store's state folder; S3 buckets are created with the state's stack).

    `provision_state` gives the space the state's identity (see `verify_space`). With
    `create` it creates a missing space; without, a missing one raises StorageUnavailable:
    a space moved away is reported, never replaced by an empty one whose silence would be
    receipted as 'already absent'."""

    def provision_state(self, state: str, *, create: bool = True) -> None: ...


@runtime_checkable
class LegalHolds(Protocol):
    """A blob store that can keep objects under a legal hold of its own (S3 Object Lock), so
    that not even a direct delete removes them while a matter is open."""

    def set_legal_holds(self, state: str, keys: Iterable[str], on: bool) -> int: ...
    # ^ sets or lifts the hold on every version of `keys`; returns how many versions it set,
    #   0 where the state's space has no such lock (a bucket without Object Lock)


@runtime_checkable
class FreeSpace(Protocol):
    """A blob store on a local disk, whose free space readiness watches."""

    def free_bytes(self) -> int: ...


class ErasureOutbox(Protocol):
    """The transactional outbox's reading side. Writers are the RecordStore's mutations."""

    def has_due(self, now: datetime) -> bool: ...  # a read, so an idle worker need not claim
    def claim(
        self, worker: str, limit: int, now: datetime, lease_seconds: float
    ) -> list[ErasureIntent]: ...
    def renew(self, intent_ids: list[int], worker: str, until: datetime) -> None: ...
    # ^ extends the worker's claims it still holds (a heartbeat while a batch runs long)
    def complete(self, intent_ids: list[int], worker: str) -> int: ...
    # ^ marks done those of the intents the worker still holds; returns how many
    def claimants(self) -> set[str]: ...  # the workers holding claims now
    def release(self, workers: list[str]) -> int: ...  # frees their claims (they are dead)
    def fail(
        self, intent_id: int, worker: str, error: str, next_attempt_at: datetime | None
    ) -> None: ...
    def dead_letters(self, state: str | None = None) -> list[ErasureIntent]: ...
    def retry_dead(self, intent_id: int | None = None) -> int: ...  # opens a new retry window
    def pending_count(self, state: str | None = None) -> int: ...
    def counts(self, state: str | None = None) -> dict[str, int]: ...  # pending, done, dead (held)
    def hold(self, intent_id: int, worker: str, reason: str) -> None: ...
    # ^ the worker's claimed intent waits, status `held`, until `release_held`
    def held(self, state: str | None = None) -> list[ErasureIntent]: ...
    def release_held(self, state: str) -> int: ...  # the state's held intents are due again


class HoldStore(Protocol):
    """Legal holds, kept after release as the record of the matter."""

    def add_hold(self, hold: Hold) -> None: ...
    def get_hold(self, hold_id: str) -> Hold | None: ...
    def list_holds(self, state: str | None = None) -> list[Hold]: ...  # oldest first
    def release_hold(self, hold_id: str, by: str, at: datetime) -> bool: ...
    # ^ False if there is none, or it was released already


class Ledger(Protocol):
    """Append-only receipts, and the record of each orphan sweep."""

    def append(self, receipts: list[Receipt]) -> None: ...
    def has(self, change_id: str, key: str) -> bool: ...
    # `synthetic` picks canary receipts (True), the state's own (False) or both (None).
    def receipts(
        self, state: str, *, limit: int, cursor: str | None, since: datetime | None = None,
        synthetic: bool | None = None,
    ) -> tuple[list[Receipt], str | None]: ...  # newest first
    def totals(
        self, state: str, since: datetime | None = None, *, synthetic: bool | None = None,
    ) -> dict[str, int]: ...  # by reason
    def record_sweep(self, run: SweepRun) -> None: ...
    def latest_sweep(self, state: str) -> SweepRun | None: ...


class RequestStore(Protocol):
    """Erasure requests per state, kept with their outcome until purged."""

    def save(self, request: ErasureRequest) -> None: ...  # adds it or replaces it by id
    def get(self, state: str, request_id: str) -> ErasureRequest | None: ...
    def list(self, state: str) -> list[ErasureRequest]: ...  # newest first
    def remove(self, state: str, request_id: str) -> None: ...


class AccountStore(Protocol):
    """Users and API tokens (platform-wide, not per state). Only hashes are stored."""

    def add_user(self, user: User) -> None: ...  # raises Conflict on a duplicate email
    def get_user(self, user_id: str) -> User | None: ...
    def find_user(self, email: str) -> User | None: ...
    def list_users(self) -> list[User]: ...
    def count_users(self) -> int: ...
    def update_user(self, user: User) -> bool: ...  # role, state, disabled; False if gone
    def remove_user(self, user_id: str) -> bool: ...  # False if there was none
    def add_token(self, token: ApiToken) -> None: ...
    def find_token(self, token_hash: str) -> ApiToken | None: ...
    def list_tokens(self) -> list[ApiToken]: ...  # oldest first
    def delete_token(self, token_id: str) -> bool: ...  # False if there was none
    def touch_token(self, token_hash: str, at: datetime) -> None: ...  # sets last_used_at
    def add_session(self, session: LoginSession) -> None: ...
    def find_session(self, id_hash: str) -> LoginSession | None: ...
    def touch_session(self, id_hash: str, at: datetime) -> None: ...  # sets last_seen_at
    def delete_session(self, id_hash: str) -> None: ...
    def delete_user_sessions(self, user_id: str) -> int: ...  # how many ended


class AuditLog(Protocol):
    """Append-only security events: appended, listed, never changed or removed."""

    def append(self, event: AuditEvent) -> None: ...
    def events(
        self, *, limit: int, cursor: str | None, kind: str | None = None,
        state: str | None = None, since: datetime | None = None, subject: str | None = None,
    ) -> tuple[list[AuditEvent], str | None]: ...  # newest first; state None: every state's


@dataclass(frozen=True, slots=True)
class EarlierApp:
    """A state's earlier application (issue 12): its table and bucket, attached to HumanGov."""

    state: str
    table: str
    bucket: str


class EarlierApplications(Protocol):
    """The earlier applications' tables and buckets, attached per state (AWS only).

    While a state has one attached, its table's `pdf` values are live references in every
    sweep of the state, so no living earlier employee's file is ever an orphan."""

    def attach(self, app: EarlierApp) -> None: ...  # checks the table, tags the bucket
    def detach(self, state: str) -> bool: ...  # False if nothing was attached
    def attached(self, state: str | None = None) -> list[EarlierApp]: ...  # by state
    def references(self, table: str) -> set[str]: ...  # the object keys its records name
    def objects(self, app: EarlierApp) -> BlobStore: ...  # its bucket, as a raw-key store
