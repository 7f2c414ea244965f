"""What every RecordStore agrees on for search: the words, the match, the order, the cursor.

An employee is found by the words of its last name (class 0), first name (1) and role (2),
each folded: Unicode NFKD with the combining marks dropped, then casefolded (José, jose and
JOSE are one word); apostrophes vanish (O'Brien -> obrien) and any other character that is
not a letter or digit separates words (Smith-Jones -> smith, jones). A query's words fold
the same way, and each must begin some word of the employee ("Ada Lov", "lovelace a").

Stores index the (class, word) entries and read them by the query's driving word, its
longest (the most selective). Results follow the driving word's best entry: (class, word,
last name, first name, id). So an exact last name comes first (the shortest word the query
begins), then longer last names, then first names, then roles; ties in name order. The
cursor is that position, so a page boundary holds while rows change around it.
"""

from __future__ import annotations

import itertools
import os
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any, NamedTuple, TypeVar

from humangov.adapters import cursors
from humangov.adapters.records import keyset
from humangov.domain.model import MAX_NAME, MAX_ROLE, Employee
from humangov.ports import Page

T = TypeVar("T")
LAST, FIRST, ROLE = 0, 1, 2
MAX_ENTRIES = 10  # per employee: a DynamoDB edit rewrites them in one transaction of <= 25
_APOSTROPHES = str.maketrans("", "", "'\u2019\u02bc`")
END = "\U0010ffff"  # sorts after every character a word can hold: the end of a prefix range


class Position(NamedTuple):
    """Where a match sorts: the driving word's best entry, then the listing order."""
    cls: int
    word: str
    last: str
    first: str
    id: str


def words(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return "".join(c if c.isalnum() else " " for c in plain).split()


def entries(first_name: str, last_name: str, role: str) -> list[tuple[int, str]]:
    """The (class, word) pairs an employee is indexed under, in order, at most MAX_ENTRIES."""
    found: list[tuple[int, str]] = []
    for cls, text in ((LAST, last_name), (FIRST, first_name), (ROLE, role)):
        for word in words(text):
            if (cls, word) not in found:
                found.append((cls, word))
    return sorted(found[:MAX_ENTRIES])


def employee_entries(e: Employee) -> list[tuple[int, str]]:
    return entries(e.first_name, e.last_name, e.role)


def shadows(found: Sequence[tuple[int, str]]) -> list[int]:
    """For each of an employee's entries (in order), the longest prefix its word shares with
    an earlier entry's word. A driving word begins both exactly when it is no longer than
    that, and then the employee is listed at the earlier entry: so an entry is where its
    employee belongs, as far as the driving word goes, iff the word is longer than its
    shadow. (SQLite keeps this beside each entry instead of looking the others up.)"""
    return [max((len(os.path.commonprefix([word, w])) for _, w in found[:i]), default=0)
            for i, (_, word) in enumerate(found)]


def driving_word(query_words: Sequence[str]) -> str:
    return max(query_words, key=len)


def best(found: Iterable[tuple[int, str]], word: str) -> tuple[int, str] | None:
    """The first of an employee's entries (in order) that `word` begins, if any."""
    return next((entry for entry in sorted(found) if entry[1].startswith(word)), None)


def position(e: Employee, query_words: Sequence[str]) -> Position | None:
    """Where `e` sorts among the results of a query of these words, or None if no match."""
    found = employee_entries(e)
    if not all(best(found, w) for w in query_words):
        return None
    top = best(found, driving_word(query_words))
    assert top is not None
    return Position(*top, *keyset.sort_key(e.last_name, e.first_name, e.id))


def is_first_entry(found: Iterable[tuple[int, str]], query_words: Sequence[str],
                   entry: tuple[int, str]) -> bool:
    """Whether an index entry is where its employee belongs among the query's results: every
    word matches, and `entry` is the driving word's best (an employee is listed once)."""
    return (all(best(found, w) for w in query_words)
            and best(found, driving_word(query_words)) == entry)


def encode_cursor(p: Position) -> str:
    return cursors.encode([str(p.cls), p.word, p.last, p.first, p.id])


_texts = cursors.texts(5, max(MAX_NAME, MAX_ROLE))


_listing_position = cursors.texts(3, MAX_NAME)
START = Position(LAST, "", "", "", "")  # before every result: words are never empty


def _position(value: Any) -> Position:
    if isinstance(value, list) and len(value) == 3:
        # A listing's cursor, sent on with a search typed meanwhile: the search starts over.
        _listing_position(value)
        return START
    cls, word, last, first, employee_id = _texts(value)
    if cls not in ("0", "1", "2") or not word:
        raise ValueError("not a search position")
    return Position(int(cls), word, last, first, employee_id)


def decode_cursor(cursor: str) -> Position:
    return cursors.decode(cursor, _position)


def collect(cursor: str | None, query_words: Sequence[str], limit: int,
            read: Callable[[int, Position | None, int], Iterable[T]]) -> list[T]:
    """A page's matches and one more, from the stores' indexes: class by class from the
    cursor's, `read(cls, after, n)` giving up to n of one class's matches past `after`
    (None: from its start), in result order, as whatever the store reads them as."""
    after = decode_cursor(cursor) if cursor else None
    found: list[T] = []
    if not query_words:
        return found
    for cls in (LAST, FIRST, ROLE):
        if len(found) > limit or (after is not None and cls < after.cls):
            continue
        start = after if after is not None and cls == after.cls else None
        wanted = limit + 1 - len(found)
        found += itertools.islice(read(cls, start, wanted), wanted)
    return found


def page_of(found: Sequence[T], limit: int, position: Callable[[T], Position],
            item: Callable[[T], Any]) -> Page:
    """A page from a store's matches in result order, at most `limit` + 1 of them: `item`
    makes each one the page holds, and the cursor is the last one's `position`."""
    more = len(found) > limit
    return Page([item(m) for m in found[:limit]],
                encode_cursor(position(found[limit - 1])) if more and limit else None)


def search_in(employees: Iterable[Employee], q: str, *, limit: int, cursor: str | None,
              include_synthetic: bool) -> Page:
    """A page of results from employees read whole (the reference the indexes must agree with)."""
    after = decode_cursor(cursor) if cursor else None
    query_words = words(q)
    if not query_words:
        return Page([], None)
    ranked = sorted(
        (p, e) for e in employees
        if (include_synthetic or not e.synthetic)
        and (p := position(e, query_words)) is not None and (after is None or p > after)
    )
    return page_of(ranked[:limit + 1], limit, itemgetter(0), itemgetter(1))
