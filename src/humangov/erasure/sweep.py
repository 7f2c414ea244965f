"""The orphan sweep: a streaming merge-join of stored files and referenced keys.

Both sides arrive in key order, so one pass with two cursors finds files no live record
references (orphans) and records whose file is missing (dangling), in constant memory.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from humangov.domain.erasure import DocumentChange, SweepRun
from humangov.erasure.erase import erase
from humangov.ports import BlobInfo

log = logging.getLogger(__name__)

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
    dangling: list[Dangling] = field(default_factory=list)
    scanned_files: int = 0
    scanned_records: int = 0
    purged: int = 0

    def to_json(self) -> dict:
        return {
            "state": self.state,
            "orphans": [{"key": o.key, "size": o.size, "last_modified": o.last_modified.isoformat()}
                        for o in self.orphans],
            "dangling": [{"employee_id": d.employee_id, "key": d.key} for d in self.dangling],
            "scanned_files": self.scanned_files,
            "scanned_records": self.scanned_records,
        }


_END = object()


def merge_join(
    keys: Iterator[str], refs: Iterator[tuple[str, str]], *, stat: Callable[[str], BlobInfo | None],
    cutoff: datetime, result: ScanResult, progress: Progress | None = None,
) -> Iterator[BlobInfo | Dangling]:
    """Yield orphans (files no record references, last modified before `cutoff`) and Dangling
    references (records whose file is missing); count both sides into `result`.

    Both inputs must be in ascending key order. Only unreferenced files are `stat`-ed, so the
    cost per referenced file is one string comparison.
    """
    nf = nr = 0
    next_report = PROGRESS_EVERY
    key = next(keys, None)
    ref = next(refs, None)
    while key is not None or ref is not None:
        if ref is None or (key is not None and key < ref[0]):
            nf += 1
            info = stat(key)  # None: erased since it was listed
            if info is not None and info.last_modified < cutoff:
                yield info
            key = next(keys, None)
        elif key is None or ref[0] < key:
            nr += 1
            yield Dangling(ref[1], ref[0])
            ref = next(refs, None)
        else:
            matched = key
            nf += 1
            key = next(keys, None)
            while ref is not None and ref[0] == matched:  # several records could share one key
                nr += 1
                ref = next(refs, None)
        if progress is not None and nf + nr >= next_report:
            progress(nf + nr)
            next_report += PROGRESS_EVERY
    result.scanned_files, result.scanned_records = nf, nr
    if progress is not None:
        progress(nf + nr)


def scan(state: str, *, blobs, records, now: datetime, grace: timedelta,
         progress: Progress | None = None) -> ScanResult:
    result = ScanResult(state)
    found = merge_join(blobs.list_keys(state), records.iter_document_refs(state),
                       stat=lambda key: blobs.stat(state, key), cutoff=now - grace,
                       result=result, progress=progress)
    for item in found:
        (result.dangling if isinstance(item, Dangling) else result.orphans).append(item)
    return result


def purge(result: ScanResult, *, blobs, records, ledger, clock, actor: str = "orphan-sweep") -> int:
    """Erase the orphans found by `scan`, each through `erase`, which re-checks references."""
    now = clock.now()
    sweep_id = uuid.uuid4().hex
    purged = 0
    for orphan in result.orphans:
        change = DocumentChange(
            change_id=f"sweep:{sweep_id}:{orphan.key}", state=result.state, employee_id="",
            reason="orphan-sweep", old=None, new=None, actor=actor, requested_at=now,
        )
        purged += len(erase(result.state, [orphan.key], change, blobs=blobs,
                            is_referenced=records.is_referenced, ledger=ledger, clock=clock))
    result.purged = purged
    return purged


def sweep(state: str, *, blobs, records, ledger, clock, grace: timedelta, do_purge: bool,
          progress: Progress | None = None) -> ScanResult:
    """Scan (and optionally purge) one state, and record the run for the compliance report."""
    started = clock.now()
    result = scan(state, blobs=blobs, records=records, now=started, grace=grace, progress=progress)
    if do_purge:
        purge(result, blobs=blobs, records=records, ledger=ledger, clock=clock)
    ledger.record_sweep(SweepRun(
        state=state, started_at=started, finished_at=clock.now(),
        scanned_files=result.scanned_files, scanned_records=result.scanned_records,
        orphans=len(result.orphans), dangling=len(result.dangling), purged=result.purged,
    ))
    return result


async def run_scheduled_sweeps(container, stop: asyncio.Event, interval: timedelta | None = None) -> None:
    """For `serve`: sweep and purge every provisioned state every `interval` (settings.sweep_interval)."""
    settings = container.settings
    period = (interval or settings.sweep_interval).total_seconds()
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=period)
            return
        except TimeoutError:
            pass
        for st in await asyncio.to_thread(container.records.list_states):
            try:
                result = await asyncio.to_thread(
                    sweep, st.code, blobs=container.blobs, records=container.records,
                    ledger=container.ledger, clock=container.clock, grace=settings.sweep_grace,
                    do_purge=True,
                )
                log.info("sweep %s: %d orphans purged, %d dangling references",
                         st.code, result.purged, len(result.dangling))
            except Exception:
                log.exception("scheduled sweep of %s failed", st.code)
