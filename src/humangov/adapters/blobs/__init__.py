"""BlobStore adapters: memory (tests, fakes) and the local filesystem (the embedded default).

Both check keys and states the same way, so a key one accepts the other accepts too, and a
key can never name a path outside its state's space.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from humangov.domain.errors import DocumentTooLarge, InvalidInput

CHUNK = 256 * 1024
MAX_KEY = 200  # a file name holds the whole key; real keys are 77 characters
_STATE = re.compile(r"[A-Z]{2}")
_FORBIDDEN = ("\\", "\x00")


def check_state(state: str) -> str:
    if not isinstance(state, str) or not _STATE.fullmatch(state):
        raise InvalidInput(f"{str(state)[:20]!r} is not a state code; use a USPS code such as CA.",
                           field="state")
    return state


def check_key(key: str) -> str:
    """A relative key of '/'-separated parts, such as `<employee id>/<document id>.pdf`.

    Refused: absolute paths, backslashes, empty parts, '.' and '..', parts starting with '.'
    (temporary files use that prefix), and a first part shorter than two characters (the
    filesystem fans out on the first two characters).
    """
    problem = None
    if not isinstance(key, str) or not key:
        problem = "it is empty"
    elif len(key) > MAX_KEY:
        problem = f"it is longer than {MAX_KEY} characters"
    elif key.startswith("/"):
        problem = "it is an absolute path"
    elif any(c in key for c in _FORBIDDEN):
        problem = "it contains a backslash or a NUL character"
    else:
        parts = key.split("/")
        if any(not p or p.startswith(".") for p in parts):
            problem = "a part is empty, '.', '..' or starts with '.'"
        elif len(parts[0]) < 2:
            problem = "its first part is shorter than two characters"
    if problem:
        raise InvalidInput(
            f"The storage key {str(key)[:80]!r} is not valid: {problem}. "
            "Keys look like <employee id>/<document id>.pdf.",
            field="key",
        )
    return key


def is_key(key: str) -> bool:
    """Whether `check_key` accepts `key`: a listing asks it of names it did not write."""
    try:
        check_key(key)
    except InvalidInput:
        return False
    return True


def iter_chunks(chunks: BinaryIO | Iterable[bytes]) -> Iterator[bytes]:
    read = getattr(chunks, "read", None)
    if read is None:
        yield from chunks
        return
    while block := read(CHUNK):
        yield block


class SizedHasher:
    """Counts and hashes chunks as they pass, refusing more than `max_size` bytes."""

    def __init__(self, max_size: int | None):
        self.max_size = max_size
        self.size = 0
        self.sha = hashlib.sha256()

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.max_size is not None and self.size > self.max_size:
            raise DocumentTooLarge(
                f"The document is larger than the limit of {self.max_size} bytes. "
                "Scan it at a lower resolution or split it, then upload again."
            )
        self.sha.update(chunk)
