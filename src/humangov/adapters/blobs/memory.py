"""An in-memory BlobStore: the working fake for tests and the reference for the contract.

A state's space exists once provisioned, as a folder or a bucket does: until then (or after
`drop_state`) uploads, deletes and listings of that state raise StorageUnavailable."""

from __future__ import annotations

import builtins
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice
from typing import BinaryIO

from humangov.adapters.blobs import CHUNK, SizedHasher, check_key, check_state, iter_chunks
from humangov.adapters.clock import SystemClock
from humangov.domain.errors import Conflict, NotFound, StorageUnavailable
from humangov.ports import BlobInfo, Clock, Erased, StoredBlob


class MemoryBlobStore:
    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()  # stamps last_modified, which the sweep's grace reads
        self._lock = threading.Lock()
        self._blobs: dict[str, dict[str, tuple[bytes, datetime]]] = {}

    def ping(self) -> None:
        return None

    def provision_state(self, state: str, *, create: bool = True) -> None:
        check_state(state)
        with self._lock:
            if create:
                self._blobs.setdefault(state, {})
        self.verify_space(state)

    def verify_space(self, state: str) -> None:
        check_state(state)
        if state not in self._blobs:
            raise StorageUnavailable(f"The document space of {state} was never provisioned "
                                     "(or was dropped).")

    def _space(self, state: str) -> dict[str, tuple[bytes, datetime]]:
        """The state's documents; the caller holds the lock."""
        self.verify_space(state)
        return self._blobs[state]

    def put(self, state: str, key: str, chunks: BinaryIO | Iterable[bytes], *,
            max_size: int | None = None) -> StoredBlob:
        check_state(state), check_key(key)
        hasher = SizedHasher(max_size)
        parts = []
        for chunk in iter_chunks(chunks):
            hasher.update(chunk)
            parts.append(bytes(chunk))
        with self._lock:
            self._space(state)[key] = (b"".join(parts), self.clock.now())
        return StoredBlob(hasher.size, hasher.sha.hexdigest())

    def open(self, state: str, key: str) -> Iterator[bytes]:
        check_state(state), check_key(key)
        with self._lock:
            found = self._blobs.get(state, {}).get(key)
        if found is None:
            raise NotFound(f"There is no document {key} in {state}.")
        data = found[0]
        return (data[i:i + CHUNK] for i in range(0, len(data), CHUNK))

    def stat(self, state: str, key: str) -> BlobInfo | None:
        check_state(state), check_key(key)
        with self._lock:
            found = self._blobs.get(state, {}).get(key)
        return BlobInfo(key, len(found[0]), found[1]) if found else None

    def exists(self, state: str, key: str) -> bool:
        return self.stat(state, key) is not None

    def delete(self, state: str, key: str) -> Erased:
        check_state(state), check_key(key)
        with self._lock:
            return Erased(existed=self._space(state).pop(key, None) is not None)

    def list(self, state: str, *, after: str | None = None) -> Iterator[BlobInfo]:
        with self._lock:
            items = sorted(self._space(state).items())
        for key, (data, modified) in items:
            if after is None or key > after:
                yield BlobInfo(key, len(data), modified)

    def list_keys(self, state: str) -> Iterator[str]:
        with self._lock:
            keys = sorted(self._space(state))
        yield from keys

    def list_key_chunks(self, state: str, *, start: str | None = None,
                        stop: str | None = None) -> Iterator[builtins.list[str]]:
        keys = (k for k in self.list_keys(state)
                if (start is None or k >= start) and (stop is None or k < stop))
        while chunk := list(islice(keys, 1000)):
            yield chunk

    def drop_state(self, state: str) -> None:
        check_state(state)
        with self._lock:
            left = self._blobs.get(state)
            if left:
                raise Conflict(
                    f"The state {state} still holds {len(left)} documents; erase them before "
                    "dropping its storage."
                )
            self._blobs.pop(state, None)
