"""A stand-in for `asyncio.sleep` injected into a loop under test: the pause never runs out
on its own; the test lets the loop go round, one lap at a time, and sees every pause asked."""

from __future__ import annotations

import asyncio


class Pauses:
    def __init__(self, only: float | None = None):
        # With `only`, pauses of any other length (another loop sharing this sleep) never end.
        self.only = only
        self.asked: list[float] = []
        self._asleep = asyncio.Event()
        self._go = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        if self.only is not None and seconds != self.only:
            await asyncio.Event().wait()
        self.asked.append(seconds)
        self._asleep.set()
        await self._go.wait()
        self._go.clear()

    async def asleep(self) -> None:
        """Until the loop has done its work and pauses."""
        await asyncio.wait_for(self._asleep.wait(), timeout=10)
        self._asleep.clear()

    async def poll(self, times: int = 1) -> None:
        """End the pause `times` times; return once the loop pauses again."""
        for _ in range(times):
            self._go.set()
            await self.asleep()
