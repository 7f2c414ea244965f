"""The Ledger contract: receipts page newest first on a cursor the ledger issued, and a
cursor it did not issue is refused before it reaches the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from humangov.domain.erasure import Receipt
from humangov.domain.errors import InvalidInput

from .crafted import CRAFTED_CURSORS

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def receipt(n: int, state: str = "CA") -> Receipt:
    return Receipt(state, f"{n:04d}/{n:04d}.pdf", 9, "ab" * 32, "record-deleted", f"change-{n}",
                   "admin", T0, T0 + timedelta(minutes=n), "erased")


def keys_page_by_page(ledger, limit: int, **kwargs) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        items, cursor = ledger.receipts("CA", limit=limit, cursor=cursor, **kwargs)
        pages.append([r.key.split("/")[0] for r in items])
        if cursor is None:
            return pages


def test_receipts_page_newest_first_and_the_last_page_has_no_cursor(ledger):
    ledger.append([receipt(n) for n in range(7)] + [receipt(99, "TX")])
    assert keys_page_by_page(ledger, 3) == [["0006", "0005", "0004"], ["0003", "0002", "0001"],
                                            ["0000"]]
    since = T0 + timedelta(minutes=4)
    assert keys_page_by_page(ledger, 2, since=since) == [["0006", "0005"], ["0004"]]


@pytest.mark.parametrize("cursor", CRAFTED_CURSORS.values(), ids=CRAFTED_CURSORS.keys())
def test_a_cursor_the_ledger_did_not_issue_is_invalid_input(ledger, cursor):
    ledger.append([receipt(n) for n in range(3)])
    with pytest.raises(InvalidInput) as caught:
        ledger.receipts("CA", limit=2, cursor=cursor)
    assert caught.value.field == "cursor"
