"""What every RecordStore agrees on for listing: the order and the cursor (search: `search`).

The order is (last name, first name, id), case-insensitive the way SQLite's NOCASE is: only
ASCII letters fold. The cursor is the sort key of the last row seen (see
`humangov.adapters.cursors`), so a page boundary stays put while rows are added or removed
around it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, NamedTuple

from humangov.adapters import cursors
from humangov.adapters.timecodec import to_text
from humangov.domain.model import MAX_NAME, MAX_ROLE, Employee
from humangov.ports import Order, Page

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


# Ordered listings (no search) -------------------------------------------------------------
# A cursor names the sort it was issued for, which way it walks and the row it stands on:
# [sort, descending, back, value, last name, first name, id]. `value` is the sort column as
# stored (None for name, the role, salary in cents, last change as `to_text`). A forward cursor
# stands on a page's last row, a back cursor on its first. Forward in ascending name order it
# is the plain [last, first, id]; a search sent with one starts over (`search._position`).

class Position(NamedTuple):
    sort: str
    descending: bool
    back: bool
    value: str | int | None
    last_name: str
    first_name: str
    employee_id: str

    @property
    def key(self) -> tuple[str | int | None, str, str, str]:
        """(value, last, first, id): where the row stands in its order."""
        return self.value, self.last_name, self.first_name, self.employee_id


Rows = Callable[[Order, Position | None, bool, int], list[Employee]]
# ^ a store's read: up to n employees strictly past the position (from the start without one),
#   walking the order forwards, or backwards (nearest first) when the bool is True


def sort_value(sort: str, e: Employee) -> str | int | None:
    if sort == "role":
        return e.role
    if sort == "salary":
        return int(e.salary.scaleb(2))  # exact: salaries are quantized to cents
    if sort == "updated":
        return to_text(e.updated_at)  # fixed-width UTC text sorts chronologically
    return None


def ordered_key(sort: str, value: str | int | None, last_name: str, first_name: str,
                employee_id: str) -> tuple:
    """The position as Python compares it in the order's ascending direction. Roles compare
    as stored, by code point (SQLite's BINARY); names fold as NOCASE does."""
    return value or 0, *sort_key(last_name, first_name, employee_id)


def employee_key(sort: str, e: Employee) -> tuple:
    return ordered_key(sort, sort_value(sort, e), e.last_name, e.first_name, e.id)


def _cursor(order: Order, back: bool, e: Employee) -> str:
    if order.sort == "name" and not order.descending and not back:
        # the shortest form, and the one cursors were before other orders existed
        return encode_cursor(e.last_name, e.first_name, e.id)
    return cursors.encode([order.sort, order.descending, back, sort_value(order.sort, e),
                           e.last_name, e.first_name, e.id])


_VALUE_OK: dict[str, Callable[[object], bool]] = {
    "name": lambda v: v is None,
    "role": lambda v: isinstance(v, str) and len(v) <= MAX_ROLE,
    "salary": lambda v: type(v) is int and 0 <= v <= cursors.MAX_ROW_ID,
    "updated": lambda v: isinstance(v, str) and len(v) <= 40,
}


def _position_in(sorts: tuple[str, ...]) -> Callable[[Any], Position]:
    def validate(value: Any) -> Position:
        if isinstance(value, list) and len(value) == 3:  # forward in ascending name order
            return Position("name", False, False, None, *_sort_position(value))
        if not (isinstance(value, list) and len(value) == 7 and value[0] in sorts
                and isinstance(value[1], bool) and isinstance(value[2], bool)
                and _VALUE_OK[value[0]](value[3])):
            raise ValueError("not a cursor of a listing")
        return Position(*value[:4], *_sort_position(value[4:]))
    return validate


def ordered_page(rows: Rows, order: Order, cursor: str | None, limit: int,
                 sorts: tuple[str, ...], view: Callable[[Any], Employee] | None = None) -> Page:
    """A page of an ordered listing (of `sorts`, those the store has), from a store's `rows`.

    A cursor continues the order it was issued in: `order`'s sort and direction shape the
    first page only, so a cursor is never refused for the parameters sent beside it. A back
    cursor whose read reaches the start answers the first page whole, so going back never
    ends on a short page. `view` reads a row as an Employee where a cursor needs one (a store
    whose rows are not Employees: the page holds its rows as they are)."""
    position = cursors.decode(cursor, _position_in(sorts)) if cursor else None
    if position is not None and (order.sort, order.descending, order.start) != (
            position.sort, position.descending, None):
        order = replace(order, sort=position.sort, descending=position.descending, start=None)
    elif order.start:
        # Just before the first name from `start` on: a stored name is never blank.
        position = Position("name", False, False, None, order.start, "", "")
    read = view or (lambda row: row)
    if position is not None and position.back:
        before = rows(order, position, True, limit + 1)
        if len(before) <= limit:
            return ordered_page(rows, order, None, limit, sorts, view)
        items = before[:limit][::-1]
        return Page(items, _cursor(order, False, read(items[-1])),
                    _cursor(order, True, read(items[0])))
    after = rows(order, position, False, limit + 1)
    items = after[:limit]
    return Page(items,
                _cursor(order, False, read(items[-1])) if len(after) > limit else None,
                _cursor(order, True, read(items[0])) if position is not None and items else None)


def keeps(order: Order, include_synthetic: bool) -> Callable[[str, bool], bool]:
    """The filter of an ordered listing on (role, synthetic), for stores that filter in
    Python: the role ASCII-caselessly, as SQLite's NOCASE compares it."""
    role = fold(order.role) if order.role else None
    return lambda e_role, synthetic: ((include_synthetic or not synthetic)
                                      and (role is None or fold(e_role) == role))
