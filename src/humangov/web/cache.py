"""Serialised responses of hot reads, dropped the moment the database changes.

The store's change token moves on every commit from any process (the CLI included), so a
cached page is never served after a write. The token is read *before* the page is built: a
write racing with the build leaves a page labelled with the older token, which the next
lookup discards.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable


class ReadCache:
    def __init__(self, change_token: Callable[[], object | None], max_entries: int = 256):
        self._change_token = change_token
        self._max = max_entries
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._token: object | None = None
        self._lock = threading.Lock()

    def token(self) -> object | None:
        """The current token; clears the cache if the database changed since the last call."""
        token = self._change_token()
        with self._lock:
            if token != self._token:
                self._entries.clear()
                self._token = token
        return token

    def get(self, key: Hashable) -> tuple[object | None, bytes | None]:
        token = self.token()
        if token is None:
            return None, None
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return token, body

    def put(self, key: Hashable, token: object | None, body: bytes) -> None:
        if token is None:
            return
        with self._lock:
            if token != self._token:
                return  # the database moved on while the page was built
            self._entries[key] = body
            if len(self._entries) > self._max:
                self._entries.popitem(last=False)
