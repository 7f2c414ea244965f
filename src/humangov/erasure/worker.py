"""The outbox relay: claim intents, plan, erase, complete; retry with backoff; dead-letter.

In `serve` it runs as an asyncio task woken right after each delete/replace commits, so a file
is gone milliseconds after the DELETE response; polling every `erasure_poll_seconds` picks up
changes made by other processes (the CLI, an import). A poll first asks, with a read, whether
anything is due: on SQLite a claim is a write transaction, and an idle worker must not take
the database's one write lock twenty times a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta

from humangov.config import Settings
from humangov.domain.erasure import ErasureIntent
from humangov.domain.errors import ErasureRefused
from humangov.erasure.erase import erase
from humangov.erasure.metrics import ErasureMetrics
from humangov.erasure.plan import plan
from humangov.ports import BlobStore, Clock, ErasureOutbox, Ledger, RecordStore

log = logging.getLogger(__name__)


LEASE_SECONDS = 60.0
BATCH = 50


def backoff(attempts: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2^(attempts-1))].
    https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/"""
    ceiling = min(cap, base * 2 ** max(0, attempts - 1))
    return (rng or random).uniform(0, ceiling)


class ErasureWorker:
    def __init__(self, outbox: ErasureOutbox, blobs: BlobStore, records: RecordStore,
                 ledger: Ledger, clock: Clock, settings: Settings, worker_id: str,
                 *, rng: random.Random | None = None, lease_seconds: float = LEASE_SECONDS,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 metrics: ErasureMetrics | None = None) -> None:
        self.outbox, self.blobs, self.records, self.ledger = outbox, blobs, records, ledger
        self.clock, self.settings, self.worker_id = clock, settings, worker_id
        self.rng = rng or random.Random()
        # A claim is invisible to other workers for this long; it must outlast a batch.
        self.lease_seconds = lease_seconds
        self._sleep = sleep
        self.metrics = metrics or ErasureMetrics()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self._pending_wake = threading.Event()

    def run_once(self, limit: int = BATCH) -> int:
        """Process one batch of due intents; return how many were claimed."""
        now = self.clock.now()
        if not self.outbox.has_due(now):
            return 0
        intents = self.outbox.claim(self.worker_id, limit, now, self.lease_seconds)
        for intent in intents:
            self._process(intent)
        return len(intents)

    def _process(self, intent: ErasureIntent) -> None:
        change = intent.change
        try:
            receipts = erase(
                change.state, plan(change), change, blobs=self.blobs,
                is_referenced=self.records.is_referenced, ledger=self.ledger, clock=self.clock,
            )
        except Exception as exc:  # noqa: BLE001 -- any failure is retried; the intent is never dropped
            self._fail(intent, exc)
            return
        for r in receipts:
            self.metrics.erased.labels(r.reason, r.result).inc()
        self.outbox.complete(intent.id, self.worker_id)

    def _fail(self, intent: ErasureIntent, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {getattr(exc, 'detail', None) or exc}"
        # A refusal that retrying cannot lift (a retention period, a legal hold) waits for a
        # person at once rather than after every backoff.
        if intent.attempts >= self.settings.erasure_max_attempts or isinstance(exc, ErasureRefused):
            log.error("erasure intent %s is a dead letter after %d attempts: %s",
                      intent.id, intent.attempts, error)
            self.outbox.fail(intent.id, self.worker_id, error, None)
            return
        delay = backoff(intent.attempts, self.settings.erasure_base_backoff_seconds,
                        self.settings.erasure_max_backoff_seconds, self.rng)
        log.warning("erasure intent %s failed (attempt %d), retrying in %.1fs: %s",
                    intent.id, intent.attempts, delay, error)
        retry_at = self.clock.now() + timedelta(seconds=delay)
        self.outbox.fail(intent.id, self.worker_id, error, retry_at)

    def drain(self, limit: int = BATCH) -> int:
        """Run batches until nothing is due; return the total claimed."""
        total = 0
        while n := self.run_once(limit):
            total += n
        return total

    def wake(self) -> None:
        """Call after a delete/replace commits. Safe from any thread."""
        self._pending_wake.set()
        loop, event = self._loop, self._wakeup
        if loop is not None and event is not None:
            # RuntimeError: the loop is closed, so the worker has stopped.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        try:
            while not stop.is_set():
                self._wakeup.clear()
                self._pending_wake.clear()
                try:
                    await asyncio.to_thread(self.drain)
                except Exception:  # the outbox itself failed (database locked, disk): try again
                    log.exception("erasure worker batch failed")
                if self._pending_wake.is_set():
                    continue
                await _wait_any(stop, self._wakeup, self._sleep(self.settings.erasure_poll_seconds))
        finally:
            self._loop = self._wakeup = None


async def _wait_any(stop: asyncio.Event, wakeup: asyncio.Event, pause: Awaitable[None]) -> None:
    """Until the worker is stopped or woken, or the pause (the poll interval) is over."""
    waiters = [asyncio.ensure_future(pause), asyncio.create_task(stop.wait()),
               asyncio.create_task(wakeup.wait())]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()


def run_worker_forever(worker: ErasureWorker) -> None:
    """Blocking entry point for `humangov worker`: runs until SIGINT/SIGTERM."""
    import signal

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await worker.run(stop)

    asyncio.run(main())

