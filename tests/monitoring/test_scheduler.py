"""The scheduler: hard timeouts and missed runs are failures; one slow check delays no other.

Each test runs on an event loop with virtual time (tests/virtual_time.py): sleeps, timeouts
and the scheduler's clock move together and instantly, so the times asserted are exact."""

from __future__ import annotations

import asyncio
import random

import pytest

from humangov.monitoring.checks.base import execute, step
from humangov.monitoring.scheduler import Scheduler
from humangov.monitoring.store import MemoryRunStore
from tests.monitoring.helpers import one_check
from tests.virtual_time import now, run_in_virtual_time, stall


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


def test_a_run_that_exceeds_its_timeout_is_recorded_as_a_failure():
    store = MemoryRunStore()

    async def main():
        slow = check("slow", timeout="200ms")
        scheduler = Scheduler([slow], runner_sleeping({"slow": 5}), store=store,
                              first_run_spread_s=0)
        started = now()
        result = await scheduler.run_once("slow")
        return result, now() - started

    result, took = run_in_virtual_time(main)
    assert result.status == "fail" and result.error == "timed out after 200ms during step 'work'"
    assert result.failing_step == "work" and took == pytest.approx(0.2)  # not the body's 5 s
    assert store.list_runs("slow")[0][0].run_id == result.run_id


def test_one_slow_check_does_not_delay_another():
    store = MemoryRunStore()
    seen: list[tuple[str, float]] = []

    async def subscriber(chk, result):
        seen.append((chk.name, now()))

    async def main():
        scheduler = Scheduler([check("slow"), check("fast")],
                              runner_sleeping({"slow": 0.9, "fast": 0.0}), store=store,
                              subscribers=[subscriber], first_run_spread_s=0)
        await scheduler.start()
        await asyncio.sleep(2.5)
        await scheduler.stop()
        return scheduler

    scheduler = run_in_virtual_time(main)
    # The fast check finished on the dot of each of its slots, never behind the 0.9 s runs.
    assert [t for name, t in seen if name == "fast"] == pytest.approx([0.0, 1.0, 2.0])
    assert [t for name, t in seen if name == "slow"] == pytest.approx([0.9, 1.9])
    assert all(r.status == "ok" for r in store.list_runs("fast")[0])
    assert max(scheduler.start_lags) == pytest.approx(0.0)


def test_a_run_that_cannot_start_before_its_next_due_time_is_a_missed_failure():
    store = MemoryRunStore()

    async def main():
        # One slot, held for 1.5 s by the hog's first run: the other check's first slot
        # (due at 0) is still unstarted when its next one is due, at 1.
        checks = [check("hog", interval="2s", timeout="2s"), check("starved")]
        scheduler = Scheduler(checks, runner_sleeping({"hog": 1.5}), store=store,
                              max_concurrency=1, first_run_spread_s=0)
        await scheduler.start()
        await asyncio.sleep(1.2)
        await scheduler.stop()

    run_in_virtual_time(main)
    [missed] = store.list_runs("starved")[0]
    assert (missed.trigger, missed.status) == ("missed", "fail")
    assert "all 1 run slots were busy" in missed.error


def test_a_paused_process_records_each_skipped_slot_as_a_failure():
    store = MemoryRunStore()

    async def main():
        scheduler = Scheduler([check("hb")], runner_sleeping({}), store=store, first_run_spread_s=0)
        await scheduler.start()
        await asyncio.sleep(0.1)  # the first run, at t=0
        stall(2.4)  # GIVEN the whole process stalls past the slots due at t=1 and t=2
        await asyncio.sleep(0.3)
        await scheduler.stop()

    run_in_virtual_time(main)
    runs = store.list_runs("hb")[0]
    missed = [r for r in runs if r.trigger == "missed"]
    assert len(missed) == 1 and missed[0].status == "fail" and "paused" in missed[0].error
    assert sum(1 for r in runs if r.trigger == "scheduled") == 2


def test_run_now_runs_a_confirmation_check_after_the_delay():
    store = MemoryRunStore()

    async def main():
        confirmed = asyncio.Event()

        async def subscriber(chk, result):
            if result.trigger == "confirm":
                confirmed.set()

        scheduler = Scheduler([check("hb", interval="1m", timeout="1s")], runner_sleeping({}),
                              store=store, subscribers=[subscriber], rng=random.Random(7))
        await scheduler.start()
        started = now()
        scheduler.run_now("hb", delay=0.2)
        async with asyncio.timeout(5):
            await confirmed.wait()
        await scheduler.stop()
        return now() - started

    assert run_in_virtual_time(main) == pytest.approx(0.2)
    assert [r.trigger for r in store.list_runs("hb")[0]].count("confirm") == 1


async def test_subscribers_see_the_result_after_it_is_stored_and_a_failing_one_harms_nothing():
    store = MemoryRunStore()
    stored_when_called: list[bool] = []

    async def broken(chk, result):
        raise RuntimeError("subscriber bug")

    async def watcher(chk, result):
        stored_when_called.append(store.get_run(result.run_id) is not None)

    scheduler = Scheduler([check("hb")], runner_sleeping({}), store=store,
                          subscribers=[broken, watcher])
    await scheduler.run_once("hb")
    assert stored_when_called == [True]
