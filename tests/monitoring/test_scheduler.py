"""The scheduler: hard timeouts and missed runs are failures; one slow check delays no other."""

from __future__ import annotations

import asyncio
import time

from humangov.monitoring.checks.base import execute, step
from humangov.monitoring.scheduler import Scheduler
from humangov.monitoring.store import MemoryRunStore
from tests.monitoring.helpers import one_check


def check(name, interval="1s", timeout="1s"):
    return one_check(name=name, type="heartbeat", url="http://unused.invalid/", interval=interval,
                     timeout=timeout)


def runner_sleeping(seconds: dict[str, float]):
    """A real runner shell around a body that just takes time."""
    async def run(chk, ctx, **kw):
        async def body():
            async with step(ctx, "work"):
                await asyncio.sleep(seconds.get(chk.name, 0.0))
        return await execute(chk, ctx, body, **kw)
    return run


async def test_a_run_that_exceeds_its_timeout_is_recorded_as_a_failure():
    store = MemoryRunStore()
    slow = check("slow", timeout="200ms")
    scheduler = Scheduler([slow], runner_sleeping({"slow": 5}), store=store, first_run_spread_s=0)
    result = await scheduler.run_once("slow")
    assert result.status == "fail" and result.error == "timed out after 200ms during step 'work'"
    assert result.failing_step == "work" and result.duration_ms < 1000
    assert store.list_runs("slow")[0][0].run_id == result.run_id


async def test_one_slow_check_does_not_delay_another():
    store = MemoryRunStore()
    seen: list[tuple[str, float]] = []

    async def subscriber(chk, result):
        seen.append((chk.name, time.monotonic()))

    scheduler = Scheduler([check("slow"), check("fast")],
                          runner_sleeping({"slow": 0.9, "fast": 0.0}),
                          store=store, subscribers=[subscriber], first_run_spread_s=0)
    start = time.monotonic()
    await scheduler.start()
    await asyncio.sleep(2.5)
    await scheduler.stop()
    fast = [t - start for name, t in seen if name == "fast"]
    assert len(fast) >= 2 and fast[0] < 0.3  # did not wait behind the 0.9 s run
    assert all(r.status == "ok" for r in store.list_runs("fast")[0])
    lags = sorted(scheduler.start_lags)
    assert lags[-1] < 0.1


async def test_a_run_that_cannot_start_before_its_next_due_time_is_a_missed_failure():
    store = MemoryRunStore()
    # One slot, held by a 0.95 s run: the other check's 1 s slot passes unstarted.
    scheduler = Scheduler([check("hog"), check("starved")], runner_sleeping({"hog": 0.95}),
                          store=store, max_concurrency=1, first_run_spread_s=0)
    await scheduler.start()
    await asyncio.sleep(0.05)
    hogging = asyncio.create_task(scheduler.run_once("hog"))  # keep the slot busy
    await asyncio.sleep(2.2)
    await scheduler.stop()
    hogging.cancel()
    missed = [r for r in store.list_runs("starved")[0] if r.trigger == "missed"]
    assert missed and all(r.status == "fail" for r in missed)
    assert "all 1 run slots were busy" in missed[0].error


async def test_a_paused_process_records_each_skipped_slot_as_a_failure():
    store = MemoryRunStore()
    scheduler = Scheduler([check("hb")], runner_sleeping({}), store=store, first_run_spread_s=0)
    await scheduler.start()
    await asyncio.sleep(0.1)  # the first run, at t=0
    time.sleep(2.4)  # noqa: ASYNC251 (blocking on purpose) GIVEN the whole process stalls past the slots due at t=1 and t=2
    await asyncio.sleep(0.3)
    await scheduler.stop()
    runs = store.list_runs("hb")[0]
    missed = [r for r in runs if r.trigger == "missed"]
    assert len(missed) == 1 and missed[0].status == "fail" and "paused" in missed[0].error
    assert sum(1 for r in runs if r.trigger == "scheduled") == 2


async def test_run_now_runs_a_confirmation_check_after_the_delay():
    store = MemoryRunStore()
    scheduler = Scheduler(
        [check("hb", interval="1m", timeout="1s")], runner_sleeping({}), store=store
    )
    await scheduler.start()
    t0 = time.monotonic()
    scheduler.run_now("hb", delay=0.2)
    while not [r for r in store.list_runs("hb")[0] if r.trigger == "confirm"]:
        await asyncio.sleep(0.02)
        assert time.monotonic() - t0 < 2
    await scheduler.stop()
    assert time.monotonic() - t0 >= 0.2


async def test_subscribers_see_the_result_after_it_is_stored_and_a_failing_one_harms_nothing():
    store = MemoryRunStore()
    stored_when_called: list[bool] = []

    async def broken(chk, result):
        raise RuntimeError("subscriber bug")

    async def watcher(chk, result):
        stored_when_called.append(store.get_run(result.run_id) is not None)

    scheduler = Scheduler(
        [check("hb")], runner_sleeping({}), store=store, subscribers=[broken, watcher]
    )
    await scheduler.run_once("hb")
    assert stored_when_called == [True]
