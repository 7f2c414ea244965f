"""DynamoDB list items and counts: how a state's employees are listed in every order, one role
at a time, and counted with one GetItem (the store writes them; see `dynamodb`).

List item `pk=L#<A|S>#<sort>[#R#<folded role>], sk=<value>\\x01<folded last>\\x01<folded
first>\\x01<id>`, `kind=LIST`, the employee's attributes in the map `e`. Per employee one item
per sort (name, role, salary, updated) for the state's list, and one per sort for its role's
list: eight, written in the employee's transaction. `A` holds the employees at work, `S` the
separated ones, so neither list reads the other. A page is one Query of page size + 1 items
from a position, either way: the sort key orders as SQLite's ORDER BY does (values as
stored, names folded like NOCASE, then id; `\\x01` sorts below every printable character, so
string order is tuple order). The copy in `e` is nested so the by_name and by_doc indexes,
keyed on top-level attributes, never hold list items; `kind` is not EMP, so the stream's
filters and `changes` ignore them.

Counts: the counter item `pk=NUMBERS, sk=A` holds `listed` and `listed_synthetic` (the
employees at work, and how many of those are synthetic: what the default list shows); one
item `pk=NUMBERS, sk=ROLE#<folded role>` per role holds the same for the role. The employee's
transaction ADDs to them, so they move with the lists.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import TypeVar

from humangov.adapters.records import keyset
from humangov.domain.model import Employee
from humangov.ports import SORTS

KIND = "LIST"
SEP = "\x01"  # below every printable character, so string order equals tuple order
COUNTER_PK = "NUMBERS"
TOTAL_SK = "A"  # the employee-number counter item holds the state's totals too
K = TypeVar("K", bound=Hashable)
_SALARY_DIGITS = 19  # cents up to the cursor's bound (2**63 - 1), zero-padded: text order = numbers


def listing_key(last_name: str, first_name: str, employee_id: str) -> str:
    return SEP.join(keyset.sort_key(last_name, first_name, employee_id))


def partition(sort: str, separated: bool, role: str | None = None) -> str:
    group = f"L#{'S' if separated else 'A'}#{sort}"
    return group if role is None else f"{group}#R#{keyset.fold(role)}"


def sort_key(sort: str, value: str | int | None, last_name: str, first_name: str,
             employee_id: str) -> str:
    """Where a row stands in a list of `sort`; `value` as `keyset.sort_value` gives it."""
    names = listing_key(last_name, first_name, employee_id)
    if sort == "name":
        return names
    text = f"{value:0{_SALARY_DIGITS}d}" if sort == "salary" else str(value)
    return f"{text}{SEP}{names}"


def keys(e: Employee) -> Iterator[dict]:
    """The keys of an employee's list items."""
    separated = e.separated_on is not None
    for sort in SORTS:
        sk = {"S": sort_key(sort, keyset.sort_value(sort, e), e.last_name, e.first_name, e.id)}
        for role in (None, e.role):
            yield {"pk": {"S": partition(sort, separated, role)}, "sk": sk}


def items(e: Employee, attributes: dict) -> list[dict]:
    """The employee's list items, each carrying `attributes` (its item's) in `e`."""
    return [{**key, "kind": {"S": KIND}, "e": {"M": attributes}} for key in keys(e)]


def counter_key(role: str | None) -> dict:
    sk = TOTAL_SK if role is None else f"ROLE#{keyset.fold(role)}"
    return {"pk": {"S": COUNTER_PK}, "sk": {"S": sk}}


def count_changes(before: Employee | None, after: Employee | None) -> dict[str, tuple[int, int]]:
    """How the counter items move when `before` becomes `after` (None: absent), by sort key
    of the counter: (listed, listed synthetic). Unmoved counters are left out."""
    moves: dict[str, tuple[int, int]] = {}
    for e, sign in ((before, -1), (after, 1)):
        if e is None or e.separated_on is not None:
            continue
        for role in (None, e.role):
            sk = counter_key(role)["sk"]["S"]
            listed, synthetic = moves.get(sk, (0, 0))
            moves[sk] = (listed + sign, synthetic + sign * int(e.synthetic))
    return {sk: move for sk, move in moves.items() if move != (0, 0)}


def merge(total: dict[K, tuple[int, int]], more: dict[K, tuple[int, int]]) -> None:
    for sk, (listed, synthetic) in more.items():
        was = total.get(sk, (0, 0))
        total[sk] = (was[0] + listed, was[1] + synthetic)


def counter_update(table: str, sk: str, move: tuple[int, int]) -> dict:
    """An UpdateItem (also a transaction's Update) adding `move` to a counter item."""
    return {"TableName": table, "Key": {"pk": {"S": COUNTER_PK}, "sk": {"S": sk}},
            "UpdateExpression": "ADD listed :n, listed_synthetic :s",
            "ExpressionAttributeValues": {":n": {"N": str(move[0])}, ":s": {"N": str(move[1])}}}
