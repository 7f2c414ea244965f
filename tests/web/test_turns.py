"""Hot reads take turns (web.turns): first come, first served, one per pass of the loop, and a
cancelled request never keeps the turn from the rest."""

from __future__ import annotations

import asyncio

import pytest

from humangov.web.turns import Turns


class Passes:
    """Counts the event loop's passes: a callback that schedules itself again each pass."""

    def __init__(self) -> None:
        self.count = 0
        self._handle = asyncio.get_running_loop().call_soon(self._tick)

    def _tick(self) -> None:
        self.count += 1
        self._handle = asyncio.get_running_loop().call_soon(self._tick)

    def stop(self) -> None:
        self._handle.cancel()


async def read(turns: Turns, name: str, log: list, passes: Passes) -> None:
    await turns.take()
    try:
        log.append((name, passes.count))  # the work: never awaits, like a hot read
    finally:
        turns.give_back()


async def test_requests_take_turns_in_the_order_they_came_one_per_pass():
    turns, log, passes = Turns(), [], Passes()
    first = [asyncio.create_task(read(turns, f"r{i}", log, passes)) for i in range(5)]
    await asyncio.sleep(0)  # all five have asked; r0 had its turn at once
    later = asyncio.create_task(read(turns, "late", log, passes))
    await asyncio.gather(*first, later)
    passes.stop()

    assert [name for name, _ in log] == ["r0", "r1", "r2", "r3", "r4", "late"]
    seen = [at for _, at in log]
    assert seen == sorted(set(seen)), f"two turns shared a pass: {log}"


async def test_a_turn_is_free_at_once_when_nobody_holds_one():
    turns = Turns()
    await turns.take()  # would hang if it waited for a hand-over nobody makes
    turns.give_back()
    await asyncio.sleep(0)  # the hand-on runs; nobody waits, so the next take is free
    await asyncio.wait_for(turns.take(), timeout=5)
    turns.give_back()


async def test_a_request_cancelled_while_it_waits_is_skipped():
    turns, log, passes = Turns(), [], Passes()
    tasks = [asyncio.create_task(read(turns, f"r{i}", log, passes)) for i in range(3)]
    await asyncio.sleep(0)  # r0 holds the turn, r1 and r2 wait
    tasks[1].cancel()
    await asyncio.wait_for(asyncio.gather(tasks[0], tasks[2]), timeout=5)
    passes.stop()

    assert [name for name, _ in log] == ["r0", "r2"]
    with pytest.raises(asyncio.CancelledError):
        await tasks[1]


async def test_a_request_cancelled_after_it_was_handed_the_turn_passes_it_on():
    turns, log, passes = Turns(), [], Passes()
    tasks: list[asyncio.Task] = []
    hand_on = turns._hand_on

    def hand_on_then_cancel():  # r1 is cancelled right after it is handed the turn
        handed_to_r1 = len(turns._waiting) == 2
        hand_on()
        if handed_to_r1:
            tasks[1].cancel()

    turns._hand_on = hand_on_then_cancel  # type: ignore[method-assign]
    tasks += [asyncio.create_task(read(turns, f"r{i}", log, passes)) for i in range(3)]
    await asyncio.wait_for(asyncio.gather(tasks[0], tasks[2]), timeout=5)
    passes.stop()

    assert [name for name, _ in log] == ["r0", "r2"]
    assert tasks[1].cancelled()


def test_a_turn_left_on_a_closed_loop_does_not_hold_up_the_next_loop():
    turns = Turns()
    loop = asyncio.new_event_loop()
    loop.run_until_complete(turns.take())  # taken, and never given back: the loop closes
    loop.close()

    async def take_again():
        await asyncio.wait_for(turns.take(), timeout=5)
        turns.give_back()

    asyncio.run(take_again())
