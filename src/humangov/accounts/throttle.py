"""Slowing password guesses without locking the real user out.

Failures are counted per client address and per account. After `free` failures, each further
attempt from that client, or against that account from a client that has itself failed, must
wait a delay that doubles with every failure (capped); the answer says how long. A client
with no recent failure is always let through to the password check, so someone guessing a
user's password cannot keep that user out.

Keys are sha256 digests (32 bytes whatever the input) and each table keeps at most
`max_entries`, least recently failed dropped first: hostile input cannot grow memory.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_DELAY = 15 * 60.0
FORGET_AFTER = 30 * 60.0  # failures this old no longer count
MAX_ENTRIES = 10_000


@dataclass(slots=True)
class _Failures:
    count: int
    last: float


def _key(kind: str, value: str) -> bytes:
    return hashlib.sha256(f"{kind}\0{value}".encode()).digest()


class _Table:
    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self.rows: OrderedDict[bytes, _Failures] = OrderedDict()

    def get(self, key: bytes, now: float) -> _Failures | None:
        row = self.rows.get(key)
        if row is not None and now - row.last > FORGET_AFTER:
            del self.rows[key]
            return None
        return row

    def failed(self, key: bytes, now: float) -> None:
        row = self.get(key, now)
        self.rows[key] = _Failures((row.count if row else 0) + 1, now)
        self.rows.move_to_end(key)
        while len(self.rows) > self.max_entries:
            self.rows.popitem(last=False)


class LoginThrottle:
    def __init__(self, free: int, *, base_delay: float = 1.0, max_entries: int = MAX_ENTRIES,
                 clock: Callable[[], float] = time.monotonic):
        self.free, self.base_delay, self.clock = free, base_delay, clock
        self._clients = _Table(max_entries)
        self._accounts = _Table(max_entries)
        self._lock = threading.Lock()

    def retry_after(self, client: str, email: str) -> float:
        """Seconds to wait before this attempt may be checked; 0 if it may be now."""
        with self._lock:
            now = self.clock()
            by_client = self._clients.get(_key("client", client), now)
            if by_client is None:
                return 0.0  # a client that has not been failing always gets its try
            by_account = self._accounts.get(_key("account", _email(email)), now)
            return max(self._wait(by_client, now), self._wait(by_account, now))

    def failed(self, client: str, email: str) -> None:
        with self._lock:
            now = self.clock()
            self._clients.failed(_key("client", client), now)
            self._accounts.failed(_key("account", _email(email)), now)

    def succeeded(self, client: str, email: str) -> None:
        with self._lock:
            self._clients.rows.pop(_key("client", client), None)
            self._accounts.rows.pop(_key("account", _email(email)), None)

    def entries(self) -> int:
        return len(self._clients.rows) + len(self._accounts.rows)

    def _wait(self, row: _Failures | None, now: float) -> float:
        if row is None or row.count < self.free:
            return 0.0
        delay = min(MAX_DELAY, self.base_delay * 2 ** (row.count - self.free))
        return max(0.0, row.last + delay - now)


def _email(email: str) -> str:
    return email.strip().lower()
