"""A listing's query string is parsed as FastAPI parses it, whichever way employee_query
takes: the rest of the string kept from an earlier request and the cursor checked alone, or
the whole string parsed anew. Both must give the same query, or the same 422."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.exceptions import RequestValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from humangov.web.routes.api import _parsed_query, employee_query

CURSORS = st.one_of(
    st.text("ABCxyz019_-", max_size=12),  # the alphabet cursors are issued in
    st.just("A" * 513),  # one longer than any cursor
    st.text(max_size=6).map(quote),  # escaped: "%2D" is a "-" once decoded
    st.text(max_size=6),  # anything at all, "+", "&", "=" and non-ASCII included
)
OTHERS = st.sampled_from([
    "limit=50", "limit=0", "limit=x", "sort=role", "sort=nope", "order=desc", "q=ada",
    "role=Clerk", "total=true", "separated=maybe", "start=Lov", "cursor", "Cursor=abc", "",
])


def parsed_whole(query_string: bytes):
    try:
        return _parsed_query.__wrapped__(query_string)
    except RequestValidationError as exc:
        return exc.errors()


def parsed(query_string: bytes):
    """employee_query's query with its cursor put back in."""
    try:
        query, cursor = employee_query(query_string)
    except RequestValidationError as exc:
        return exc.errors()
    return query.model_copy(update={"cursor": cursor})


@settings(max_examples=300, deadline=None)
@given(st.lists(CURSORS, max_size=2), st.lists(OTHERS, max_size=3), st.randoms())
def test_a_query_string_parses_as_fastapi_parses_it_whole(cursors, others, rnd):
    parts = [*others, *(f"cursor={c}" for c in cursors)]
    rnd.shuffle(parts)
    query_string = "&".join(parts).encode("utf-8")
    assert parsed(query_string) == parsed_whole(query_string)
    assert parsed(query_string) == parsed_whole(query_string)  # and again, kept


def test_the_rest_of_a_query_is_kept_across_cursors():
    # GIVEN the same listing asked with two cursors
    _parsed_query.cache_clear()
    first, first_cursor = employee_query(b"limit=50&sort=name&cursor=AAAA")
    second, second_cursor = employee_query(b"limit=50&sort=name&cursor=BBBB")
    # THEN each has its own cursor, and one parse of the rest serves both
    assert (first_cursor, second_cursor) == ("AAAA", "BBBB")
    assert first is second and first.limit == 50
    assert _parsed_query.cache_info().misses == 1
