"""The orphan sweep: a streaming merge-join of stored files and referenced keys.

Both sides arrive in key order, chunk by chunk, so one pass finds files no live record
references (orphans) and records whose file is missing (dangling), in memory bounded by a
chunk rather than by the number of objects.

With `workers=2` the key range is split in two and each half is joined in its own forked
process (the join is CPU-bound Python, so threads would share one core under the GIL); the
parent then stats the few unreferenced files and looks up the few missing files' owners.

Files under names the store did not give them (see `ForeignFiles`) are collected apart while
listing, since they are few and have no place in key order, and are reported by their path.

References the records do not hold (`extra_refs`: an attached earlier application's `pdf`
values, issue 12) arrive as one set, sorted once and merged into the records' stream of
keys: an earlier table has at most a few hundred thousand records, whose keys (under 100
bytes each) take tens of megabytes at most; only the records side has to stream.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import heapq
import itertools
import multiprocessing
import multiprocessing.connection
import threading
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from humangov.domain.erasure import DocumentChange, SweepRun
from humangov.domain.errors import ErasureHeld
from humangov.domain.holds import IsHeld, never_held
from humangov.erasure.erase import erase
from humangov.ports import (
    BlobInfo,
    BlobStore,
    Clock,
    ForeignFiles,
    Ledger,
    RecordStore,
    SplitKeySpace,
)

Progress = Callable[[int], None]  # called with the number of objects scanned since last call
PROGRESS_EVERY = 10_000


@dataclass(frozen=True, slots=True)
class Dangling:
    employee_id: str
    key: str


@dataclass(slots=True)
class ScanResult:
    state: str
    orphans: list[BlobInfo] = field(default_factory=list)
    # Files whose name is not a HumanGov key, older than the grace: `key` is their path.
    foreign: list[BlobInfo] = field(default_factory=list)
    dangling: list[Dangling] = field(default_factory=list)
    scanned_files: int = 0
    scanned_records: int = 0
    purged: int = 0
    # Orphans a legal hold kept from the purge (their keys): the next sweep after its release
    # erases them.
    held: list[str] = field(default_factory=list)

    @property
    def orphan_count(self) -> int:
        return len(self.orphans) + len(self.foreign)

    def to_json(self) -> dict:
        return {
            "state": self.state,
            "orphans": [{"key": o.key, "size": o.size, "last_modified": o.last_modified.isoformat()}
                        for o in self.orphans],
            "foreign": [{"path": f.key, "size": f.size,
                         "last_modified": f.last_modified.isoformat()} for f in self.foreign],
            "dangling": [{"employee_id": d.employee_id, "key": d.key} for d in self.dangling],
            "scanned_files": self.scanned_files,
            "scanned_records": self.scanned_records,
        } | ({"held": self.held} if self.held else {})


def merge_chunks(
    key_chunks: Iterable[list[str]], ref_chunks: Iterable[list[str]],
) -> Iterator[tuple[list[str], list[str], int, int]]:
    """Join stored keys against referenced keys, a chunk at a time, with set operations.

    `key_chunks` must be in key order chunk by chunk (every key of a chunk sorts after every
    key of the chunks before it; within a chunk any order); `ref_chunks` must be sorted
    throughout. Yields (unreferenced keys, keys referenced but not stored, keys scanned,
    references scanned) per round, the two key lists sorted; memory holds about one chunk
    of each side.

    Why chunks and sets rather than a two-cursor loop: the per-key Python loop was most of
    the sweep's time (measured at 1M keys), while set difference, bisect and sorting the few
    differences run in C; and it lets the filesystem skip sorting each directory it reads.
    """
    refs = iter(ref_chunks)
    buf: list[str] = []
    pos = 0
    more = True
    for chunk in key_chunks:
        if not chunk:
            continue
        hi = max(chunk)
        # Load references until the buffer reaches past this chunk's last key.
        while more and (pos == len(buf) or buf[-1] <= hi):
            nxt = next(refs, None)
            if nxt is None:
                more = False
            else:
                buf, pos = buf[pos:] + nxt, 0
        cut = bisect.bisect_right(buf, hi, pos)
        part = buf[pos:cut]
        stored = set(chunk)
        unreferenced = stored.difference(part)
        # Every reference matched a stored key unless there are more references than
        # matches; only then build the second set (usually there is nothing missing).
        missing = (set(part).difference(stored) if len(part) > len(stored) - len(unreferenced)
                   else ())
        yield sorted(unreferenced), sorted(missing), len(chunk), len(part)
        pos = cut
    rest = buf[pos:]
    while True:
        if rest:
            yield [], sorted(set(rest)), 0, len(rest)
        nxt = next(refs, None) if more else None
        if nxt is None:
            return
        rest = nxt


def merge_join(
    key_chunks: Iterable[list[str]], ref_chunks: Iterable[list[str]], *,
    stat: Callable[[str], BlobInfo | None], owners: Callable[[list[str]], list[tuple[str, str]]],
    cutoff: datetime, result: ScanResult, progress: Progress | None = None,
) -> Iterator[BlobInfo | Dangling]:
    """Yield, in key order, orphans (files no record references, last modified before
    `cutoff`) and Dangling references (records whose file is missing); count both sides
    into `result`.

    Only unreferenced files are `stat`-ed and only missing files' owners looked up: both
    are rare, so the cost per object is the set operations of `merge_chunks`.
    """
    return _resolve(merge_chunks(key_chunks, ref_chunks), stat=stat, owners=owners, cutoff=cutoff,
                    result=result, progress=progress)


Round = tuple[list[str], list[str], int, int]  # what merge_chunks yields


def _resolve(
    rounds: Iterable[Round], *, stat: Callable[[str], BlobInfo | None],
    owners: Callable[[list[str]], list[tuple[str, str]]], cutoff: datetime, result: ScanResult,
    progress: Progress | None,
) -> Iterator[BlobInfo | Dangling]:
    nf = nr = 0
    next_report = PROGRESS_EVERY
    for unreferenced, missing, files, refs in rounds:
        nf += files
        nr += refs
        found: list[tuple[str, BlobInfo | Dangling]] = []
        for key in unreferenced:
            info = stat(key)  # None: erased since it was listed
            if info is not None and info.last_modified < cutoff:
                found.append((key, info))
        if missing:
            # A record deleted since it was listed has no owner now: nothing dangles.
            found.extend((key, Dangling(employee_id, key)) for key, employee_id in owners(missing))
        if found:
            found.sort(key=lambda pair: pair[0])
            for _, item in found:
                yield item
        if progress is not None and nf + nr >= next_report:
            progress(nf + nr)
            next_report = nf + nr + PROGRESS_EVERY
    result.scanned_files, result.scanned_records = nf, nr
    if progress is not None:
        progress(nf + nr)


def scan(state: str, *, blobs: BlobStore, records: RecordStore, now: datetime, grace: timedelta,
         progress: Progress | None = None, workers: int = 1,
         open_stores: StoreOpener | None = None,
         extra_refs: Collection[str] = ()) -> ScanResult:
    """Orphans and dangling references of `state`, each list in key order.

    `extra_refs` are keys live elsewhere (an earlier application's records): never orphans,
    never dangling (no HumanGov record owns them).

    `workers=2` joins two key ranges in forked processes, each opening its own stores with
    `open_stores` (the composition root's `Container.open_stores`); the result is the same
    as with one. It falls back to one process when forking is not safe or possible:
    see `_parallel_plan`.
    """
    # A missing store, or one that is not the state's, would list empty and report every
    # record as dangling: it fails the scan instead (StorageUnavailable, saying what to do).
    blobs.verify_space(state)
    result = ScanResult(state)
    # Workers would each need the extra references: stores that have them (S3) scan in one.
    plan = None if extra_refs else _parallel_plan(state, blobs, workers, open_stores)
    foreign: list[str] = []  # filled as the listing runs
    if plan is None:
        rounds: Iterable[Round] = merge_chunks(
            _list_key_chunks(blobs, state, None, None, foreign),
            _with_extra(records.iter_document_key_chunks(state), extra_refs))
    else:
        ranges, opener = plan
        rounds = _join_in_workers(state, ranges, opener, progress, foreign)
    found = _resolve(rounds, stat=lambda key: blobs.stat(state, key),
                     owners=lambda keys: records.document_owners(state, keys),
                     cutoff=now - grace, result=result, progress=progress)
    for item in found:
        if isinstance(item, Dangling):
            result.dangling.append(item)
        else:
            result.orphans.append(item)
    if isinstance(blobs, ForeignFiles):
        # A listed-apart key a live record holds (on S3, one with only hidden versions) is
        # that record's unreadable file: the join reported it dangling; it is no orphan.
        held = {d.key for d in result.dangling}
        result.foreign = _stat_foreign(
            blobs.foreign_files(), state,
            [p for p in foreign if p not in held and p not in extra_refs], now - grace)
    result.scanned_files += len(foreign)
    return result


def _with_extra(ref_chunks: Iterator[list[str]],
                extra: Collection[str]) -> Iterator[list[str]]:
    """The records' sorted reference chunks with the extra references merged in."""
    if not extra:
        return ref_chunks
    merged = heapq.merge(itertools.chain.from_iterable(ref_chunks), sorted(extra))
    return iter(lambda: list(itertools.islice(merged, 1000)), [])


def _list_key_chunks(blobs: BlobStore, state: str, start: str | None, stop: str | None,
                     foreign: list[str]) -> Iterator[list[str]]:
    if isinstance(blobs, ForeignFiles):
        return blobs.list_key_chunks(state, start=start, stop=stop, foreign=foreign)
    return blobs.list_key_chunks(state, start=start, stop=stop)


def _stat_foreign(files: BlobStore, state: str, paths: list[str],
                  cutoff: datetime) -> list[BlobInfo]:
    """The foreign files last modified before `cutoff`, in path order (a young one may be an
    upload still being written)."""
    found = []
    for path in sorted(paths):
        info = files.stat(state, path)  # None: removed since it was listed
        if info is not None and info.last_modified < cutoff:
            found.append(info)
    return found


# Parallel scan ---------------------------------------------------------------------------
# `open_stores()` returns a context manager yielding (blobs, records) opened afresh: a worker
# must not use its parent's connections (an SQLite connection must not cross a fork:
# https://www.sqlite.org/howtocorrupt.html#_carrying_an_open_database_connection_across_a_fork_).
StoreOpener = Callable[[], contextlib.AbstractContextManager[tuple]]
KeyRange = tuple[str | None, str | None]  # [start, stop); None is open-ended


def _parallel_plan(
    state: str, blobs: BlobStore, workers: int, open_stores: StoreOpener | None
) -> tuple[list[KeyRange], StoreOpener] | None:
    """(key ranges, opener) to scan in `workers` processes, or None to scan in this one."""
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    # Fork copies only the calling thread: a lock another thread holds at that instant (in
    # logging, a connection pool, the allocator) stays locked forever in the child. So fork
    # only from a single-threaded process, such as the `humangov orphans` CLI; `serve`'s
    # scheduled sweep runs in a worker thread and scans in one process.
    # https://docs.python.org/3/library/os.html#os.fork
    if threading.active_count() != 1:
        return None
    # Only stores that can be reopened in a worker (bootstrap's `open_stores`, the embedded
    # pair) and that can split their key space evenly (the filesystem store's fan-out names).
    if open_stores is None or not isinstance(blobs, SplitKeySpace):
        return None
    points = blobs.key_split_points(state, workers)
    if not points:
        return None
    return list(zip([None, *points], [*points, None], strict=True)), open_stores


def _join_in_workers(state: str, ranges: list[KeyRange], opener: StoreOpener,
                     progress: Progress | None, foreign: list[str]) -> list[Round]:
    """One forked process per key range runs `merge_chunks` over it; returns one round per
    range, in range (so key) order, and adds the foreign files the workers found to
    `foreign`."""
    ctx = multiprocessing.get_context("fork")
    # Move everything allocated so far out of the collector's reach, so that collections in
    # the workers don't write to (and so copy) every page they share with this process.
    # https://docs.python.org/3/library/gc.html#gc.freeze
    gc.freeze()
    procs: list[BaseProcess] = []
    pending: dict[Connection, int] = {}
    for i, (start, stop) in enumerate(ranges):
        recv, send = ctx.Pipe(duplex=False)
        worker = ctx.Process(target=_join_range, args=(opener, state, start, stop, send),
                             name=f"sweep-{state}-{i}", daemon=True)
        worker.start()
        send.close()  # so a worker that dies shows as EOF here
        procs.append(worker)
        pending[recv] = i
    rounds: dict[int, Round] = {}
    scanned = [0] * len(ranges)
    try:
        while pending:
            ready = multiprocessing.connection.wait(list(pending))
            for conn in [c for c in pending if c in ready]:
                i = pending[conn]
                try:
                    kind, *payload = conn.recv()
                except EOFError:
                    raise RuntimeError(f"The sweep worker for key range {ranges[i]} exited "
                                       "without a result; see its output above.") from None
                if kind == "error":
                    raise payload[0]
                if kind == "progress":
                    scanned[i] = payload[0]
                    if progress is not None:
                        progress(sum(scanned))
                    continue
                *round_, found = payload
                rounds[i] = tuple(round_)
                foreign += found
                del pending[conn]
                conn.close()
    finally:
        for conn in pending:
            conn.close()
        for proc in procs:
            if proc.is_alive() and pending:
                proc.terminate()
            proc.join()
        gc.unfreeze()
    return [rounds[i] for i in range(len(ranges))]


def _join_range(opener: StoreOpener, state: str, start: str | None, stop: str | None, conn) -> None:
    """In a worker: join [start, stop) and send back its unreferenced and missing keys (few:
    the join's output, not its input) and the counts."""
    try:
        with opener() as (blobs, records):
            unreferenced: list[str] = []
            missing: list[str] = []
            foreign: list[str] = []
            nf = nr = 0
            next_report = PROGRESS_EVERY
            for u, m, files, refs in merge_chunks(
                _list_key_chunks(blobs, state, start, stop, foreign),
                records.iter_document_key_chunks(state, start=start, stop=stop),
            ):
                unreferenced += u
                missing += m
                nf += files
                nr += refs
                if nf + nr >= next_report:
                    conn.send(("progress", nf + nr))
                    next_report = nf + nr + PROGRESS_EVERY
        conn.send(("done", unreferenced, missing, nf, nr, foreign))
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        try:
            conn.send(("error", exc))
        except Exception:  # noqa: BLE001 - not picklable: send what it said
            conn.send(("error", RuntimeError(f"The sweep worker failed: {exc!r}")))
    finally:
        conn.close()


def purge(result: ScanResult, *, blobs: BlobStore, records: RecordStore, ledger: Ledger,
          clock: Clock, actor: str = "orphan-sweep", extra_refs: Collection[str] = (),
          is_held: IsHeld = never_held) -> int:
    """Erase the orphans found by `scan`, each through `erase`, which re-checks references
    (the records', and `extra_refs`, read again by the caller just before); a foreign file's
    receipt names it by its path. An orphan a legal hold covers is kept and listed in
    `result.held` (a HumanGov key names its employee; a foreign file no one)."""

    def is_referenced(st: str, key: str) -> bool:
        return key in extra_refs or records.is_referenced(st, key)

    now = clock.now()
    sweep_id = uuid.uuid4().hex
    purged = 0
    # (store, files, whether their names are HumanGov keys: `<employee id>/<document>`)
    batches = [(blobs, result.orphans, True)]
    if result.foreign and isinstance(blobs, ForeignFiles):
        batches.append((blobs.foreign_files(), result.foreign, False))
    for store, found, keyed in batches:
        for orphan in found:
            owner = orphan.key.partition("/")[0] if keyed else None
            if is_held(result.state, owner) is not None:
                result.held.append(orphan.key)
                continue
            change = DocumentChange(
                change_id=f"sweep:{sweep_id}:{orphan.key}", state=result.state, employee_id="",
                reason="orphan-sweep", old=None, new=None, actor=actor, requested_at=now,
            )
            try:
                purged += len(erase(result.state, [orphan.key], change, blobs=store,
                                    is_referenced=is_referenced, ledger=ledger, clock=clock))
            except ErasureHeld:  # the store's own legal hold (S3 Object Lock) keeps it
                result.held.append(orphan.key)
    result.purged = purged
    return purged


def sweep(state: str, *, blobs: BlobStore, records: RecordStore, ledger: Ledger, clock: Clock,
          grace: timedelta, do_purge: bool, progress: Progress | None = None) -> ScanResult:
    """Scan (and optionally purge) one state, and record the run for the compliance report."""
    started = clock.now()
    result = scan(state, blobs=blobs, records=records, now=started, grace=grace, progress=progress)
    if do_purge:
        purge(result, blobs=blobs, records=records, ledger=ledger, clock=clock)
    ledger.record_sweep(SweepRun(
        state=state, started_at=started, finished_at=clock.now(),
        scanned_files=result.scanned_files, scanned_records=result.scanned_records,
        orphans=result.orphan_count, dangling=len(result.dangling), purged=result.purged,
    ))
    return result
