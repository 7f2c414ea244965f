"""The asyncio scheduler: every check on its own interval and jitter, bounded concurrency,
hard timeouts, the monotonic clock.

Each check has its own timer task, and each run is its own task, so a slow check never delays
another: it only holds one of `max_concurrency` slots. A run that was due but could not start
before its next due time (all slots busy, or the process was paused) is recorded as a failed
"missed" run: silence must never look like health.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from pathlib import Path

from humangov.monitoring.checks.base import missed_result
from humangov.monitoring.results import RunContext, RunResult, new_run_id, utcnow

log = logging.getLogger(__name__)

Subscriber = Callable[[object, RunResult], Awaitable[None]]
Runner = Callable[..., Awaitable[RunResult]]

# After a long pause, record at most this many missed slots per check: enough for any alarm
# rule to fire, without flooding the store after a laptop sleeps for a night.
MAX_MISSED_PER_GAP = 10
# Safety net above the runner's own hard timeout, for a runner that swallows cancellation.
BACKSTOP_S = 10.0


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


class Scheduler:
    def __init__(
        self,
        checks: Iterable,
        runner: Runner,
        *,
        store=None,
        artifacts_dir: Path = Path("artifacts"),
        subscribers: Iterable[Subscriber] = (),
        max_concurrency: int = 200,
        first_run_spread_s: float | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.checks = {check.name: check for check in checks}
        self._runner = runner
        self._store = store
        self._artifacts_dir = Path(artifacts_dir)
        self.subscribers = list(subscribers)
        self.max_concurrency = max_concurrency
        self._spread = first_run_spread_s
        self._rng = rng or random.Random()
        # By default the event loop's own clock (monotonic), the one its sleeps and timeouts
        # keep: due times and lags are measured on the clock the timers fire by.
        self._clock = clock or _loop_time
        self._slots: asyncio.Semaphore | None = None
        self._timers: list[asyncio.Task] = []
        self._runs: set[asyncio.Task] = set()
        self._running = False
        # Start lag of each run (seconds late against its due time); the benchmark reads it.
        self.start_lags: deque[float] = deque(maxlen=200_000)

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        if self._running:
            return
        self._running = True
        self._slots = asyncio.Semaphore(self.max_concurrency)
        for check in self.checks.values():
            self._timers.append(asyncio.create_task(self._timer(check), name=f"check:{check.name}"))

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop timers, cancel runs in flight (their own cleanup still runs), wait for them."""
        self._running = False
        for task in self._timers:
            task.cancel()
        pending = [*self._timers, *self._runs]
        for task in self._runs:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=grace_s)
        self._timers.clear()

    def run_now(self, check_name: str, delay: float = 0.0, trigger: str = "confirm") -> None:
        """Run a check once more, `delay` seconds from now, outside its schedule (the alarm
        evaluator's confirmation re-check). Unknown names are ignored: the config may have
        changed under the caller."""
        check = self.checks.get(check_name)
        if check is None or not self._running:
            return
        due = self._clock() + max(0.0, delay)

        async def later() -> None:
            await asyncio.sleep(max(0.0, due - self._clock()))
            await self._execute(check, due, trigger)

        self._spawn(later())

    async def run_once(self, check_name: str, trigger: str = "manual") -> RunResult:
        """Run a check now and wait for its result (CLI and tests)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_concurrency)
        return await self._execute(self.checks[check_name], self._clock(), trigger)

    # -- internals ---------------------------------------------------------------------------

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._runs.add(task)
        task.add_done_callback(self._runs.discard)
        return task

    async def _timer(self, check) -> None:
        interval = check.interval.total_seconds()
        jitter = check.jitter.total_seconds()
        spread = interval if self._spread is None else min(self._spread, interval)
        # Spread first runs over one interval so a thousand checks don't start in one burst.
        base = self._clock() + self._rng.uniform(0, spread)
        while True:
            due = base + (self._rng.uniform(0, jitter) if jitter else 0.0)
            delay = due - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
            lag = self._clock() - due
            if lag >= interval:
                # Whole slots went by without us (process paused, loop starved): each is a
                # failure on record, not a gap.
                skipped = int(lag // interval)
                for k in range(min(skipped, MAX_MISSED_PER_GAP)):
                    await self._record(check, missed_result(
                        check, new_run_id(utcnow()), self._wall(due + k * interval),
                        f"the monitor was paused or overloaded for {lag:.1f}s past the due time",
                    ))
                base += skipped * interval
                due += skipped * interval
            self._spawn(self._execute(check, due, "scheduled"))
            base += interval

    def _wall(self, mono_at: float):
        return utcnow() - timedelta(seconds=self._clock() - mono_at)

    async def _execute(self, check, due: float, trigger: str) -> RunResult:
        assert self._slots is not None
        interval = check.interval.total_seconds()
        scheduled_at = self._wall(due)
        try:
            # A run that cannot start before its next due time has missed its slot.
            async with asyncio.timeout(max(0.0, due + interval - self._clock())):
                await self._slots.acquire()
        except TimeoutError:
            result = missed_result(
                check, new_run_id(utcnow()), scheduled_at,
                f"not started within its interval: all {self.max_concurrency} run slots were busy",
            )
            await self._record(check, result)
            return result
        try:
            self.start_lags.append(self._clock() - due)
            ctx = RunContext(check.name, new_run_id(utcnow()), self._artifacts_dir)
            try:
                async with asyncio.timeout(check.timeout.total_seconds() + BACKSTOP_S):
                    result = await self._runner(
                        check, ctx, trigger=trigger, scheduled_at=scheduled_at
                    )
            except TimeoutError:
                result = missed_result(
                    check, ctx.run_id, scheduled_at, "the run did not stop at its timeout"
                )
        finally:
            self._slots.release()
        await self._record(check, result)
        return result

    async def _record(self, check, result: RunResult) -> None:
        if self._store is not None:
            try:
                self._store.save(result)
            except Exception:
                log.exception("could not store the result of check %s", check.name)
        for subscriber in self.subscribers:
            try:
                await subscriber(check, result)
            except Exception:
                log.exception("result subscriber %r failed for check %s", subscriber, check.name)
