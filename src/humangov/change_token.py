"""The records' change token, read once for a whole request when the request asks.

A token moves on every commit (`RecordStore.change_token`), and each reading of it is a read
transaction of its own: on SQLite a pair of file locks, ~5-10 µs. A hot read asked twice
(the API token cache, then the listing cache). Within `held()` the first reading serves the
rest of the request, which is safe for the caches it feeds: the reading is taken before any
data the request reads, so whatever the request builds is at least as new as the token it is
filed under, and the next request's reading drops it if anything committed since.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class ChangeToken:
    """Calls `read` every time, except within `held()` (in the same context: a request's task
    and the threads it hands work to), where the first reading is kept. The variable holds a
    box (a list), filled at the first call: a thread runs in a copy of the request's context,
    so a value it set would not be seen by the request, but the box it fills is."""

    def __init__(self, read: Callable[[], object | None]):
        self._read = read
        self._held: ContextVar[list[object | None] | None] = ContextVar(
            "change_token_held", default=None)

    def __call__(self) -> object | None:
        held = self._held.get()
        if held is None:
            return self._read()
        if not held:
            held.append(self._read())
        return held[0]

    @contextmanager
    def held(self) -> Iterator[None]:
        """One reading for everything until the block ends (read when first asked for)."""
        reset = self._held.set([])
        try:
            yield
        finally:
            self._held.reset(reset)
