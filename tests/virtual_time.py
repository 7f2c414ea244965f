"""An asyncio event loop on virtual time, for code whose behaviour is about time.

The loop's clock stands still while there is work to do and, when every task waits, jumps
straight to the next timer. `asyncio.sleep`, `asyncio.timeout` and `loop.time()` all read it,
so a test of schedules, timeouts and missed slots runs in milliseconds and always sees the
same times. It suits code that waits only on asyncio timers: a thread or socket still takes
real time, which the virtual clock does not wait for.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class _Selector:
    """The loop's selector, except that waiting for a timer advances the clock instead."""

    def __init__(self, inner: selectors.BaseSelector, loop: VirtualTimeLoop) -> None:
        self._inner, self._loop = inner, loop

    def select(self, timeout: float | None = None):
        if timeout is None or timeout <= 0:
            return self._inner.select(timeout)
        events = self._inner.select(0)
        if not events:
            self._loop.advance(timeout)
        return events

    def __getattr__(self, name):
        return getattr(self._inner, name)


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        super().__init__()
        self._now = 0.0
        self._selector = _Selector(self._selector, self)

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock on. Called from a coroutine, it is a stall: the whole process
        does nothing for that long."""
        self._now += seconds


def run_in_virtual_time(main: Callable[[], Awaitable[T]]) -> T:
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(main())


def now() -> float:
    return asyncio.get_running_loop().time()


def stall(seconds: float) -> None:
    """The process freezes for `seconds` (a laptop asleep, a stopped VM)."""
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualTimeLoop)
    loop.advance(seconds)
