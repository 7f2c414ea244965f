"""The outbox relay: claim intents, plan, erase, complete; retry with backoff; dead-letter.

In `serve` it runs as an asyncio task woken right after each delete/replace commits, so a file
is gone milliseconds after the DELETE response; polling every `erasure_poll_seconds` picks up
changes made by other processes (the CLI, an import). A poll first asks, with a read, whether
anything is due: on SQLite a claim is a write transaction, and an idle worker must not take
the database's one write lock twenty times a second.

A batch costs two write transactions however many intents it holds: one claim, and one for
the receipts and completions together (the ledger and outbox share a database on one
machine). Under load the worker's writes queue behind every request's, so per-intent
transactions, not the deletes, were what let it fall behind. The price: a crash between a
batch's deletes and its commit redelivers those intents, and their receipts say
`already-absent` (the store answered that the files are gone) instead of `erased`.

Claims are short leases (`LEASE_SECONDS`) that the worker renews while a batch runs, so the
claims of a killed process are taken over seconds later; a worker starting on the machine of a
dead one (a restarted `serve`) frees that one's claims at once, as its process is gone.
Failures retry with full-jitter backoff until `erasure_retry_for` has passed since the request
(24 h by default, as long as a DynamoDB stream keeps a record), then become dead letters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from humangov.config import Settings
from humangov.domain.erasure import ErasureIntent, Receipt
from humangov.domain.errors import ErasureHeld, ErasureRefused
from humangov.domain.holds import IsHeld, held_reason, never_held
from humangov.erasure.erase import erase_key
from humangov.erasure.metrics import ErasureMetrics
from humangov.erasure.plan import plan
from humangov.ports import BlobStore, Clock, ErasureOutbox, Ledger, RecordStore

log = logging.getLogger(__name__)


LEASE_SECONDS = 5.0  # a dead worker's claims are free again this soon
RENEW_SECONDS = 1.0  # while a batch runs, its claims are renewed this often
BATCH = 50
OUTBOX_BACKOFF_CAP = 60.0  # seconds between tries while the outbox itself fails


def backoff(attempts: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2^(attempts-1))].
    https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/"""
    ceiling = min(cap, base * 2 ** max(0, attempts - 1))
    return (rng or random).uniform(0, ceiling)


def local_worker_id(role: str) -> str:
    """`serve@host:pid`: who holds a claim, so a later process on this host can tell whether
    that worker is still alive."""
    return f"{role}@{socket.gethostname()}:{os.getpid()}"


def dead_here(worker_id: str) -> bool:
    """A worker of this host whose process is gone. Another host's: not ours to judge."""
    role_host, _, pid = worker_id.rpartition(":")
    if role_host.partition("@")[2] != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False  # this process: a claim of an earlier worker object, still ours
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


class ErasureWorker:
    def __init__(self, outbox: ErasureOutbox, blobs: BlobStore, records: RecordStore,
                 ledger: Ledger, clock: Clock, settings: Settings, worker_id: str,
                 *, rng: random.Random | None = None, lease_seconds: float = LEASE_SECONDS,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 monotonic: Callable[[], float] = time.monotonic,
                 metrics: ErasureMetrics | None = None, is_held: IsHeld = never_held) -> None:
        self.outbox, self.blobs, self.records, self.ledger = outbox, blobs, records, ledger
        self.is_held = is_held
        self.clock, self.settings, self.worker_id = clock, settings, worker_id
        self.rng = rng or random.Random()
        self.lease_seconds = lease_seconds
        self._sleep, self._monotonic = sleep, monotonic
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
        receipts: list[Receipt] = []
        settled: list[int] = []
        renewed = self._monotonic()
        for n, intent in enumerate(intents):
            if self._monotonic() - renewed >= RENEW_SECONDS:
                renewed = self._monotonic()
                self.outbox.renew([i.id for i in intents[n:]], self.worker_id,
                                  self.clock.now() + timedelta(seconds=self.lease_seconds))
            hold = self.is_held(intent.change.state, intent.change.employee_id or None)
            if hold is not None:
                # Waits, neither failed nor retried, until the hold's release queues it again.
                self.outbox.hold(intent.id, self.worker_id, held_reason(hold))
                continue
            try:
                self._erase(intent, receipts)
            except ErasureHeld as exc:
                self.outbox.hold(intent.id, self.worker_id, f"held: {exc.detail}")
                continue
            except Exception as exc:  # noqa: BLE001 -- any failure is retried; the intent is never dropped
                self._fail(intent, exc)
                continue
            settled.append(intent.id)
        # The receipts (of failed intents' erased keys too) and the completions, together.
        self.ledger.append(receipts)
        self.outbox.complete(settled, self.worker_id)
        for r in receipts:
            self.metrics.erased.labels(r.reason, r.result).inc()
        return len(intents)

    def _erase(self, intent: ErasureIntent, receipts: list[Receipt]) -> None:
        """Erase the intent's keys, adding a receipt per key to `receipts` as it goes."""
        change = intent.change
        for key in plan(change):
            # Only a redelivered intent can have receipts already (the ledger ignores a
            # second one anyway; checking spares a repeated delete).
            if intent.attempts > 1 and self.ledger.has(change.change_id, key):
                continue
            receipt = erase_key(change.state, key, change, blobs=self.blobs,
                                is_referenced=self.records.is_referenced, clock=self.clock)
            if receipt is not None:
                receipts.append(receipt)

    def _fail(self, intent: ErasureIntent, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {getattr(exc, 'detail', None) or exc}"
        now = self.clock.now()
        # A refusal that retrying cannot lift (a retention period) waits for a person at once
        # rather than after every backoff.
        if (now - intent.retrying_since >= self.settings.erasure_retry_for
                or isinstance(exc, ErasureRefused)):
            log.error("erasure intent %s is a dead letter after %d attempts since %s: %s",
                      intent.id, intent.attempts, intent.retrying_since.isoformat(), error)
            self.outbox.fail(intent.id, self.worker_id, error, None)
            return
        delay = backoff(intent.attempts, self.settings.erasure_base_backoff_seconds,
                        self.settings.erasure_max_backoff_seconds, self.rng)
        log.warning("erasure intent %s failed (attempt %d), retrying in %.1fs: %s",
                    intent.id, intent.attempts, delay, error)
        self.outbox.fail(intent.id, self.worker_id, error, now + timedelta(seconds=delay))

    def take_over_dead_claims(self) -> int:
        """Free the claims of workers on this host whose process has died."""
        dead = [w for w in self.outbox.claimants() if dead_here(w)]
        freed = self.outbox.release(dead) if dead else 0
        if freed:
            log.info("took over %d erasure claims of stopped workers %s", freed, ", ".join(dead))
        return freed

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
        never = asyncio.Event()
        failures = 0
        try:
            with contextlib.suppress(Exception):  # the loop below reports a failing outbox
                await asyncio.to_thread(self.take_over_dead_claims)
            while not stop.is_set():
                self._wakeup.clear()
                self._pending_wake.clear()
                try:
                    await asyncio.to_thread(self.drain)
                    failures = 0
                except Exception as exc:  # noqa: BLE001 -- the outbox itself failed (disk, lock): back off
                    failures += 1
                    self._outbox_failed(exc, failures)
                if not failures and self._pending_wake.is_set():
                    continue
                # While failing, wakes (one per delete) must not turn the backoff into a spin.
                await _wait_any(stop, never if failures else self._wakeup,
                                self._sleep(self._pause(failures)))
        finally:
            self._loop = self._wakeup = None

    def _pause(self, failures: int) -> float:
        poll = self.settings.erasure_poll_seconds
        return min(OUTBOX_BACKOFF_CAP, poll * 2 ** failures) if failures else poll

    def _outbox_failed(self, exc: Exception, failures: int) -> None:
        """One line per backoff step; the traceback only the first time."""
        error = f"{type(exc).__name__}: {getattr(exc, 'detail', None) or exc}"
        if failures == 1:
            log.error("erasure outbox failing, retrying in %.1fs: %s", self._pause(failures),
                      error, exc_info=exc)
        else:
            log.error("erasure outbox still failing (%d tries), retrying in %.1fs: %s",
                      failures, self._pause(failures), error)


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

