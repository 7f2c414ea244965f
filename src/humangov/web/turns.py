"""Hot reads take turns: one per pass of the event loop, in the order they were read.

A hot read (`web.app.HotReads`) never awaits while it works, so without turns every request
the loop reads in one poll runs back to back before the loop looks at its sockets again. With
32 connections that is a batch of ~32 pages. A request that arrives just after a poll then
waits, unread, for the whole batch, and is run last of the next one: twice the median. Under
the benchmark's load the slowest 1% of pages spent twice the median time both unread and read
but waiting (docs/benchmarks.md). Taking turns, the loop polls between any two hot reads, so a
request is read within one page's time of arriving and runs after exactly the requests read
before it.

A turn covers the work, never the sending: a slow client must not hold up everyone's reads.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Turns:
    """First come, first served, one turn per pass of the loop. Not thread-safe: it lives on
    one event loop, like the requests it orders; met on another loop (an app served again,
    a test's next client), it starts afresh rather than wait for a hand-on the old loop may
    never have run."""

    def __init__(self) -> None:
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._taken = False
        self._loop: asyncio.AbstractEventLoop | None = None

    async def take(self) -> None:
        """Wait for this request's turn (at once if no one holds one or waits)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._taken = loop, False
            self._waiting.clear()
        if not self._taken:
            self._taken = True
            return
        waiter = loop.create_future()
        self._waiting.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give_back()  # handed the turn, then cancelled: the next one takes it
            raise

    def give_back(self) -> None:
        """End this turn. The next is handed out only on the loop's next pass, after it has
        read what arrived meanwhile: that is what puts a request arriving now in its place."""
        asyncio.get_running_loop().call_soon(self._hand_on)

    def _hand_on(self) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():  # a waiter cancelled while it waited is skipped
                waiter.set_result(None)
                return
        self._taken = False
