"""The one way each store writes a change, a moment and a cursor, and the one version rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import orjson
import pytest

from humangov.adapters import cursors
from humangov.adapters.change_codec import change_from_row, change_to_row
from humangov.adapters.timecodec import from_optional_text, from_text, to_text
from humangov.domain.erasure import DocumentChange
from humangov.domain.errors import InvalidInput, StaleVersion
from humangov.domain.model import DocumentRef, check_version

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
OLD = DocumentRef("d1", "e1/d1.pdf", 1234, "ab" * 32)
NEW = DocumentRef("d2", "e1/d2.pdf", 0, "")  # only the new key and id are kept


@pytest.mark.parametrize(("old", "new"), [(OLD, NEW), (OLD, None), (None, NEW)])
def test_a_change_reads_back_from_its_row_as_it_was_written(old, new):
    change = DocumentChange("c1", "CA", "e1", "document-replaced", old, new, "ada", T0)
    row = change_to_row(change)
    assert orjson.loads(orjson.dumps(row)) == row  # plain values: a SQLite row, a DynamoDB item
    assert change_from_row(row) == change


def test_a_dynamodb_item_without_its_none_values_and_with_decimal_numbers_reads_back_the_same():
    change = DocumentChange("c1", "CA", "e1", "record-deleted", OLD, None, "ada", T0)
    item = {k: Decimal(v) if isinstance(v, int) else v
            for k, v in change_to_row(change).items() if v is not None}
    assert change_from_row(item) == change


def test_stored_times_have_one_width_in_utc_so_text_order_is_time_order():
    pacific = timezone(timedelta(hours=-8))
    moments = [T0, T0.replace(microsecond=7), T0.astimezone(pacific) + timedelta(hours=1)]
    texts = [to_text(m) for m in moments]
    assert {len(t) for t in texts} == {len("2026-01-01T12:00:00.000000+00:00")}
    assert sorted(texts) == [to_text(m) for m in sorted(moments)]
    assert [from_text(t) for t in texts] == moments
    assert to_text(T0.replace(tzinfo=None)) == to_text(T0)  # naive times are UTC
    assert from_optional_text(None) is None and from_optional_text(texts[0]) == T0


@pytest.mark.parametrize("value", [0, 1, cursors.MAX_ROW_ID])
def test_a_row_id_cursor_round_trips(value):
    assert cursors.decode(cursors.encode(value), cursors.row_id) == value


@pytest.mark.parametrize("value", [-1, cursors.MAX_ROW_ID + 1, True, 1.0, "1", None, [1]])
def test_a_row_id_cursor_out_of_range_or_of_another_type_is_invalid(value):
    with pytest.raises(InvalidInput) as caught:
        cursors.decode(cursors.encode(value), cursors.row_id)
    assert caught.value.field == "cursor"


def test_a_texts_cursor_takes_exactly_its_count_of_short_strings():
    validate = cursors.texts(2, 5)
    assert cursors.decode(cursors.encode(["a", "bcdef"]), validate) == ("a", "bcdef")
    for bad in (["a"], ["a", "b", "c"], ["a", "bcdefg"], ["a", 1], "ab"):
        with pytest.raises(InvalidInput):
            cursors.decode(cursors.encode(bad), validate)


def test_a_cursor_longer_than_any_issued_is_refused_before_decoding():
    text = cursors.encode("x" * cursors.MAX_TEXT)
    with pytest.raises(InvalidInput):
        cursors.decode(text, lambda value: value)


def test_a_change_from_another_version_than_the_stored_one_is_stale():
    check_version("e1", None, 3)  # no expectation: the latest applies
    check_version("e1", 3, 3)
    with pytest.raises(StaleVersion, match="Employee e1 has changed since version 2 was read"):
        check_version("e1", 2, 3)
