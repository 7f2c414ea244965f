"""The compliance report of a state with a million receipts, in a real SQLite ledger, is written
out in bounded memory, every receipt in it, totals matching."""

from __future__ import annotations

import pytest

from humangov.domain.erasure import REASONS

from .report_stream import read_streamed

RECEIPTS = 1_000_000
SYNTHETIC = 7
PEAK_LIMIT = 50 * 1024 * 1024


def _rows(n: int, *, synthetic: bool, offset: int = 0):
    for i in range(offset, offset + n):
        yield ("CA", f"{i // 1000:04d}/{i:07d}.pdf", 120_000, f"{i:064x}", '["v1"]',
               REASONS[i % len(REASONS)], f"change-{i}", "ca_admin",
               "2026-01-01T00:00:00.000000+00:00", "2026-01-01T00:00:01.000000+00:00",
               "erased", synthetic)


@pytest.mark.slow
@pytest.mark.timeout(900)  # about 3.5 min on a shared 2-core machine: tracemalloc triples it
def test_a_million_receipts_stream_in_bounded_memory(container):
    # GIVEN a million receipts of CA (and a few canary ones) written straight into the ledger
    conn = container.erasures.ledger.engine.raw_connection()
    try:
        insert = ("INSERT INTO erasure_receipts (state, key, size, sha256, versions, reason, "
                  "change_id, actor, requested_at, erased_at, result, synthetic) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        conn.execute("BEGIN IMMEDIATE")  # one transaction: the engine's connections autocommit
        conn.executemany(insert, _rows(RECEIPTS, synthetic=False))
        conn.executemany(insert, _rows(SYNTHETIC, synthetic=True, offset=RECEIPTS))
        conn.commit()
    finally:
        conn.close()
    # WHEN the report is written out through the use case
    streamed = read_streamed(container.erasures.report("CA").json_chunks())
    # THEN it lists every receipt, latest first, within a bounded peak of memory
    assert streamed.peak_bytes < PEAK_LIMIT, streamed.peak_bytes
    assert streamed.receipts == RECEIPTS + SYNTHETIC
    assert streamed.keys_in_order == [f"0999/{i:07d}.pdf" for i in (999_999, 999_998, 999_997)]
    doc = streamed.document
    assert (doc["state"], doc["total_erased"], doc["synthetic_erased"]) == \
        ("CA", RECEIPTS, SYNTHETIC)
    assert doc["totals_by_reason"] == {
        reason: len(range(n, RECEIPTS, len(REASONS))) for n, reason in enumerate(REASONS)}
    # AND the totals agree with the ledger's own aggregate
    assert container.erasures.ledger.totals("CA", synthetic=False) == doc["totals_by_reason"]
