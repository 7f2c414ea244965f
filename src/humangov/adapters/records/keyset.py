"""What every RecordStore agrees on for listing: the order and the cursor (search: `search`).

The order is (last name, first name, id), case-insensitive the way SQLite's NOCASE is: only
ASCII letters fold. The cursor is the sort key of the last row seen (see
`humangov.adapters.cursors`), so a page boundary stays put while rows are added or removed
around it.
"""

from __future__ import annotations

from collections.abc import Iterable

from humangov.adapters import cursors
from humangov.domain.model import MAX_NAME, Employee
from humangov.ports import Page

_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold(text: str) -> str:
    return text.translate(_ASCII_FOLD)


def sort_key(last_name: str, first_name: str, employee_id: str) -> tuple[str, str, str]:
    return fold(last_name), fold(first_name), employee_id


def encode_cursor(last_name: str, first_name: str, employee_id: str) -> str:
    return cursors.encode([last_name, first_name, employee_id])


# Names are at most MAX_NAME characters and ids are UUIDs: a longer part was never issued.
_sort_position = cursors.texts(3, MAX_NAME)


def decode_cursor(cursor: str) -> tuple[str, ...]:
    """(last name, first name, id) of the row the previous page ended on."""
    return cursors.decode(cursor, _sort_position)


def take_page(ordered: Iterable[Employee], *, limit: int,
              include_synthetic: bool) -> Page:
    """The next page from employees already in listing order, for stores that filter in Python."""
    items: list[Employee] = []
    for employee in ordered:
        if not include_synthetic and employee.synthetic:
            continue
        if len(items) == limit:
            last = items[-1]
            return Page(items, encode_cursor(last.last_name, last.first_name, last.id))
        items.append(employee)
    return Page(items, None)
