"""What every RecordStore agrees on for listing: the order, the search and the cursor.

The order is (last name, first name, id), case-insensitive the way SQLite's NOCASE is: only
ASCII letters fold. The cursor is the sort key of the last row seen, as opaque urlsafe
base64, so a page boundary stays put while rows are added or removed around it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable

import orjson

from humangov.domain.errors import InvalidInput
from humangov.domain.model import Employee
from humangov.ports import Page

_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold(text: str) -> str:
    return text.translate(_ASCII_FOLD)


def sort_key(last_name: str, first_name: str, employee_id: str) -> tuple[str, str, str]:
    return fold(last_name), fold(first_name), employee_id


def matches(q: str, first_name: str, last_name: str, role: str) -> bool:
    """Substring search on "first last" (so on each name too) and on role, ASCII-caseless."""
    needle = fold(q)
    return needle in fold(f"{first_name} {last_name}") or needle in fold(role)


def encode_cursor(last_name: str, first_name: str, employee_id: str) -> str:
    raw = orjson.dumps([last_name, first_name, employee_id])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> tuple[str, str, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeEncodeError, orjson.JSONDecodeError):
        value = None
    if not (isinstance(value, list) and len(value) == 3 and all(isinstance(v, str) for v in value)):
        raise InvalidInput(
            "cursor is not one this service issued. Use the next_cursor value of the previous "
            "page exactly as given, or leave cursor out to start from the first page.",
            field="cursor",
        )
    return value[0], value[1], value[2]


def like_pattern(q: str) -> str:
    """A LIKE pattern matching `q` literally as a substring (escape character: backslash)."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def stale_message(employee_id: str, expected_version: int) -> str:
    return (
        f"Employee {employee_id} has changed since version {expected_version} was read. "
        "Reload it to see the current version, then retry your change."
    )


def take_page(ordered: Iterable[Employee], *, q: str | None, limit: int, include_synthetic: bool) -> Page:
    """The next page from employees already in listing order, for stores that filter in Python."""
    items: list[Employee] = []
    for employee in ordered:
        if not include_synthetic and employee.synthetic:
            continue
        if q and not matches(q, employee.first_name, employee.last_name, employee.role):
            continue
        if len(items) == limit:
            last = items[-1]
            return Page(items, encode_cursor(last.last_name, last.first_name, last.id))
        items.append(employee)
    return Page(items, None)
