"""The one cursor codec of every listing.

A cursor is a JSON value (the position after the last item of a page) sent as unpadded
urlsafe base64: opaque to clients and safe in a query string. A client can send anything
back, so each listing decodes with a validator for the shape and range it issued; a cursor
that fails it, or is no base64 or JSON at all, is InvalidInput on the `cursor` field (422 on
the API), before it can reach a database as a value the database refuses.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import orjson

from humangov.domain.errors import InvalidInput

T = TypeVar("T")

MAX_TEXT = 4096  # well above any cursor we issue; bounds what a crafted one costs to decode
MAX_ROW_ID = 2**63 - 1  # SQLite's INTEGER range (https://www.sqlite.org/datatype3.html)


def encode(value: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).rstrip(b"=").decode("ascii")


def decode(text: str, validate: Callable[[Any], T]) -> T:
    """The position `text` encodes, as `validate` returns it. `validate` raises ValueError
    for a value of the wrong shape or range."""
    try:
        if len(text) > MAX_TEXT:
            raise ValueError("too long")
        # binascii.Error, UnicodeEncodeError and orjson.JSONDecodeError are all ValueErrors.
        return validate(orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))))
    except ValueError:
        raise InvalidInput(
            "cursor is not one this service issued. Use the next_cursor value of the previous "
            "page exactly as given, or leave cursor out to start from the first page.",
            field="cursor",
        ) from None


def row_id(value: Any) -> int:
    """A validator: a non-negative integer that fits a SQLite INTEGER."""
    if type(value) is not int or not 0 <= value <= MAX_ROW_ID:  # bool is an int subclass
        raise ValueError("not a row id")
    return value


def texts(count: int, max_length: int) -> Callable[[Any], tuple[str, ...]]:
    """A validator: a list of exactly `count` strings, none longer than `max_length`."""
    def validate(value: Any) -> tuple[str, ...]:
        if not (isinstance(value, list) and len(value) == count
                and all(isinstance(v, str) and len(v) <= max_length for v in value)):
            raise ValueError("not a list of texts")
        return tuple(value)
    return validate


def newest_first(items: Sequence[T], matches: Callable[[T], bool], limit: int,
                 cursor: str | None) -> tuple[list[T], str | None]:
    """A page of an in-memory, oldest-first list, newest first: the items that match, below
    the cursor's position (the memory adapters' listings)."""
    below = decode(cursor, row_id) if cursor else MAX_ROW_ID
    out: list[T] = []
    i = min(below, len(items))
    while i > 0 and len(out) < limit:
        i -= 1
        if matches(items[i]):
            out.append(items[i])
    more = any(matches(item) for item in items[:i])
    return out, (encode(i) if more else None)
