"""The erasure use cases every entry point calls: receipts, dead letters and retries, the
compliance report, orphan sweeps, and the worker that drains the outbox.

Web routes, CLI commands and `serve`'s background jobs call these; none of them touch the
outbox or the ledger directly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from humangov.config import Settings
from humangov.domain.erasure import ErasureIntent, Receipt, SweepRun
from humangov.domain.errors import InvalidInput, StorageUnavailable
from humangov.domain.holds import Hold, IsHeld, never_held
from humangov.erasure.metrics import ErasureMetrics
from humangov.erasure.report import ComplianceReport, open_report
from humangov.erasure.sweep import Progress, ScanResult, StoreOpener, purge, scan
from humangov.erasure.worker import ErasureWorker
from humangov.ports import (
    BlobStore,
    Clock,
    EarlierApp,
    EarlierApplications,
    ErasureOutbox,
    Ledger,
    RecordStore,
)

log = logging.getLogger(__name__)


@dataclass
class Erasures:
    records: RecordStore
    blobs: BlobStore
    outbox: ErasureOutbox
    ledger: Ledger
    clock: Clock
    settings: Settings  # the worker's retry policy and poll interval
    # Reopens the stores in a forked process, where the backend can (the embedded one).
    open_stores: StoreOpener | None = None
    # Called after something was queued for erasure (wakes the in-process worker).
    queued: Callable[[], None] = field(default=lambda: None)
    # The earlier applications attached to states (AWS only): their records' files are live.
    earlier: EarlierApplications | None = None
    # The compliance report's further sections by key (`requests`): state -> JSON value.
    report_sections: dict[str, Callable[[str], object]] = field(default_factory=dict)
    # The legal hold keeping an employee's files, if any: their erasures wait while it lasts.
    is_held: IsHeld = never_held
    # A state's legal holds, for the compliance report.
    holds_of: Callable[[str], list[Hold]] = field(default=lambda state: [])

    # evidence ---------------------------------------------------------------------------
    def receipts(self, state: str, *, limit: int, cursor: str | None = None,
                 since: datetime | None = None,
                 synthetic: bool | None = None) -> tuple[list[Receipt], str | None]:
        """A page of the state's receipts, newest first: canary ones (`synthetic`), the
        state's own (not `synthetic`) or both (None)."""
        return self.ledger.receipts(state, limit=limit, cursor=cursor, since=since,
                                    synthetic=synthetic)

    def synthetic_count(self, state: str) -> int:
        """How many receipts the canaries' records left (shown beside the state's own)."""
        return sum(self.ledger.totals(state, synthetic=True).values())

    def pending(self, state: str | None = None) -> int:
        return self.outbox.pending_count(state)

    def dead_letters(self, state: str | None = None) -> list[ErasureIntent]:
        return self.outbox.dead_letters(state)

    def held(self, state: str | None = None) -> list[ErasureIntent]:
        """Erasures waiting for a legal hold's release."""
        return self.outbox.held(state)

    def retry(self, intent_id: int | None = None, state: str | None = None) -> int:
        """Queue one dead letter (or all of them, or all of a `state`'s) again; returns how
        many. With a `state`, another state's dead letter is left alone (and counts 0)."""
        if state is None:
            n = self.outbox.retry_dead(intent_id)
        else:
            ids = [d.id for d in (*self.outbox.dead_letters(state), *self.outbox.held(state))
                   if intent_id is None or d.id == intent_id]
            n = sum(self.outbox.retry_dead(i) for i in ids)
        if n:
            self.queued()
        return n

    def report(self, state: str, *, since: datetime | None = None) -> ComplianceReport:
        """The compliance report a state's counsel asks for, its receipts read as it is
        written out."""
        return open_report(state, ledger=self.ledger, outbox=self.outbox, now=self.clock.now(),
                           since=since, holds=self.holds_of(state),
                           sections={key: section(state) for key, section
                                     in self.report_sections.items()})

    # sweeps -----------------------------------------------------------------------------
    def sweep(self, state: str, *, grace: timedelta, purge_orphans: bool,
              confirm: Callable[[ScanResult], bool] | None = None,
              progress: Progress | None = None, workers: int = 1,
              backlog: EarlierApp | None = None) -> ScanResult:
        """Scan a state for orphans and dangling references; erase the orphans (each with a
        receipt) when `purge_orphans` and `confirm(result)` agree; record the run.

        With `backlog`, the store scanned is that earlier application's bucket (its legacy
        backlog, issue 12) instead of the state's. Either way the `pdf` values of the earlier
        table attached to the state (and of `backlog`'s table) are live references."""
        blobs = self.blobs if backlog is None else self._earlier().objects(backlog)
        started = self.clock.now()
        result = scan(state, blobs=blobs, records=self.records, now=started, grace=grace,
                      progress=progress, workers=workers, open_stores=self.open_stores,
                      extra_refs=self._earlier_references(state, backlog))
        if backlog is not None:
            # HumanGov's own records hold their files in the state's bucket, not this one:
            # that they are missing here says nothing.
            result.dangling.clear()
        if purge_orphans and result.orphan_count and (confirm is None or confirm(result)):
            # Read again: what the earlier records name now, not when the scan began.
            purge(result, blobs=blobs, records=self.records, ledger=self.ledger,
                  clock=self.clock, extra_refs=self._earlier_references(state, backlog),
                  is_held=self.is_held)
        self.ledger.record_sweep(SweepRun(
            state=state, started_at=started, finished_at=self.clock.now(),
            scanned_files=result.scanned_files, scanned_records=result.scanned_records,
            orphans=result.orphan_count, dangling=len(result.dangling), purged=result.purged,
        ))
        return result

    # earlier applications -----------------------------------------------------------------
    def attach_earlier(self, app: EarlierApp) -> None:
        """Attach an earlier application's table and bucket to its state (issue 12)."""
        self._earlier().attach(app)

    def detach_earlier(self, state: str) -> bool:
        """Forget the state's earlier application; its bucket keeps the tag."""
        return self._earlier().detach(state)

    def attached_earlier(self) -> list[EarlierApp]:
        return self._earlier().attached()

    def earlier_app(self, state: str, table: str | None = None,
                    bucket: str | None = None) -> EarlierApp:
        """The earlier application to sweep: the one named, or else the one attached."""
        if table and bucket:
            return EarlierApp(state, table, bucket)
        if table or bucket:
            raise InvalidInput("Give both --legacy-table and --legacy-bucket, or neither to "
                               "use the earlier application attached to the state.")
        attached = self._earlier().attached(state)
        if not attached:
            raise InvalidInput(f"No earlier application is attached to {state}: name it with "
                               "--legacy-table and --legacy-bucket, or attach it with "
                               f"`humangov legacy attach --state {state}`.")
        return attached[0]

    def _earlier(self) -> EarlierApplications:
        if self.earlier is None:
            raise InvalidInput("Earlier applications are read on the AWS backend only; on the "
                               "embedded backend they are adopted with "
                               "`humangov employees import --documents DIR`.")
        return self.earlier

    def _earlier_references(self, state: str, backlog: EarlierApp | None) -> set[str]:
        if self.earlier is None:
            return set()
        tables = {app.table for app in self.earlier.attached(state)}
        if backlog is not None:
            tables.add(backlog.table)
        return set().union(*(self.earlier.references(t) for t in tables))

    async def run_scheduled_sweeps(self, stop: asyncio.Event, *, every: timedelta,
                                   grace: timedelta) -> None:
        """For `serve`: sweep and purge every provisioned state every `every`."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=every.total_seconds())
                return
            except TimeoutError:
                pass
            for st in await asyncio.to_thread(self.records.list_states):
                try:
                    # One process: this runs in a thread of `serve`, and forking a
                    # multi-threaded process is unsafe (see sweep._parallel_plan).
                    result = await asyncio.to_thread(self.sweep, st.code, grace=grace,
                                                     purge_orphans=True)
                    log.info("sweep %s: %d orphans purged, %d dangling references",
                             st.code, result.purged, len(result.dangling))
                except StorageUnavailable as exc:  # the state's store is gone: say so, go on
                    log.error("scheduled sweep of %s failed: %s", st.code, exc.detail)
                except Exception:
                    log.exception("scheduled sweep of %s failed", st.code)

    # the worker -------------------------------------------------------------------------
    def worker(self, worker_id: str, metrics: ErasureMetrics | None = None) -> ErasureWorker:
        return ErasureWorker(self.outbox, self.blobs, self.records, self.ledger, self.clock,
                             self.settings, worker_id=worker_id, metrics=metrics,
                             is_held=self.is_held)


class ErasureJobs:
    """`serve`'s background erasure work: the worker (woken at once by in-process deletes,
    polling for other processes') and the scheduled orphan sweep."""

    def __init__(self, erasures: Erasures, worker_id: str, *, sweep_every: timedelta,
                 sweep_grace: timedelta, metrics: ErasureMetrics | None = None) -> None:
        self.erasures = erasures
        self.worker = erasures.worker(worker_id, metrics)
        self.sweep_every, self.sweep_grace = sweep_every, sweep_grace
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    def wake(self) -> None:
        self.worker.wake()

    async def start(self) -> None:
        self._stop = asyncio.Event()
        self._tasks = []
        if self.erasures.settings.sweep_schedule == "in-process":
            self._tasks.append(asyncio.create_task(self.erasures.run_scheduled_sweeps(
                self._stop, every=self.sweep_every, grace=self.sweep_grace), name="orphan-sweep"))
        if self.erasures.settings.erasure_worker == "in-process":
            self._tasks.append(
                asyncio.create_task(self.worker.run(self._stop), name="erasure-worker"))

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.wait(self._tasks, timeout=10)
        for task in self._tasks:
            task.cancel()
