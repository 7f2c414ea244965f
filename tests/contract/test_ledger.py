"""The Ledger contract: receipts page newest first on a cursor the ledger issued, and a
cursor it did not issue is refused before it reaches the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from humangov.domain.erasure import Receipt
from humangov.domain.errors import InvalidInput

from .crafted import CRAFTED_CURSORS

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def receipt(n: int, state: str = "CA", *, reason: str = "record-deleted",
            synthetic: bool = False) -> Receipt:
    return Receipt(state, f"{n:04d}/{n:04d}.pdf", 9, "ab" * 32, reason, f"change-{n}",
                   "admin", T0, T0 + timedelta(minutes=n), "erased", synthetic=synthetic)


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


def test_synthetic_receipts_are_listed_and_totalled_apart_from_the_states_own(ledger):
    # GIVEN the state's own receipts interleaved with canary ones (every third is synthetic)
    ledger.append([receipt(n, reason="document-replaced" if n == 4 else "record-deleted",
                           synthetic=n % 3 == 0) for n in range(10)])
    # THEN each filter pages through its own kind only, newest first, and None lists both
    assert keys_page_by_page(ledger, 2, synthetic=False) == [
        ["0008", "0007"], ["0005", "0004"], ["0002", "0001"]]
    assert keys_page_by_page(ledger, 3, synthetic=True) == [["0009", "0006", "0003"], ["0000"]]
    assert sum(keys_page_by_page(ledger, 4, synthetic=None), []) == [
        f"{n:04d}" for n in reversed(range(10))]
    since = T0 + timedelta(minutes=5)
    assert keys_page_by_page(ledger, 5, since=since, synthetic=True) == [["0009", "0006"]]
    # AND the receipts say what they are
    items, _ = ledger.receipts("CA", limit=10, cursor=None, synthetic=True)
    assert {r.synthetic for r in items} == {True}
    # AND totals count each kind apart
    assert ledger.totals("CA", synthetic=False) == {"record-deleted": 5, "document-replaced": 1}
    assert ledger.totals("CA", synthetic=True) == {"record-deleted": 4}
    assert ledger.totals("CA") == {"record-deleted": 9, "document-replaced": 1}
    assert ledger.totals("CA", since, synthetic=True) == {"record-deleted": 2}


@pytest.mark.parametrize("cursor", CRAFTED_CURSORS.values(), ids=CRAFTED_CURSORS.keys())
def test_a_cursor_the_ledger_did_not_issue_is_invalid_input(ledger, cursor):
    ledger.append([receipt(n) for n in range(3)])
    with pytest.raises(InvalidInput) as caught:
        ledger.receipts("CA", limit=2, cursor=cursor)
    assert caught.value.field == "cursor"
