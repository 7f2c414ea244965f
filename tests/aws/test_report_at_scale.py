"""The compliance report of a state with many receipts in the DynamoDB ledger (moto) is written
out a query page at a time, in bounded memory, totals counted as the receipts stream."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from humangov.adapters.aws.provision import ensure_platform
from humangov.adapters.erasure.dynamodb import DynamoDBDeadLetters, DynamoDBLedger, _receipt_item
from humangov.domain.erasure import REASONS, Receipt
from humangov.erasure.report import open_report
from tests.erasure.report_stream import read_streamed

RECEIPTS = 3_000  # moto sorts a whole index on each query page: more is minutes
T0 = datetime(2026, 1, 1, tzinfo=UTC)
# Three pages of receipts at most in memory, whatever the count; 5 MB is far below the
# 3,000 receipts' own JSON (about 1.1 MB as dicts is several times that).
PEAK_LIMIT = 5 * 1024 * 1024


def _receipt(i: int) -> Receipt:
    at = T0 + timedelta(seconds=i)
    return Receipt(state="CA", key=f"{i // 1000:04d}/{i:07d}.pdf", size=120_000,
                   sha256=f"{i:064x}", reason=REASONS[i % len(REASONS)], change_id=f"change-{i}",
                   actor="ca_admin", requested_at=at, erased_at=at, result="erased",
                   versions=("v1",), synthetic=i % 1000 == 0)


@pytest.mark.slow
def test_many_receipts_stream_from_dynamodb_in_bounded_memory(aws_local):
    # GIVEN three thousand receipts of CA (three pages), one in a thousand a canary's
    ensure_platform(aws_local.settings, aws_local.clients)
    ledger = DynamoDBLedger(aws_local.clients, aws_local.settings.aws_ledger_table)
    ddb = aws_local.clients.dynamodb
    for start in range(0, RECEIPTS, 25):  # BatchWriteItem takes at most 25 puts
        ddb.batch_write_item(RequestItems={ledger.table: [
            {"PutRequest": {"Item": _receipt_item(_receipt(i))}}
            for i in range(start, start + 25)]})
    dead = DynamoDBDeadLetters(aws_local.clients, aws_local.settings.aws_dead_letter_table)
    # WHEN the report is written out
    report = open_report("CA", ledger=ledger, outbox=dead, now=T0)
    streamed = read_streamed(report.json_chunks())
    # THEN every receipt is in it, latest first, within a bounded peak of memory
    assert streamed.peak_bytes < PEAK_LIMIT, streamed.peak_bytes
    synthetic = RECEIPTS // 1000
    assert streamed.receipts == RECEIPTS
    assert streamed.keys_in_order == [f"0002/{i:07d}.pdf" for i in (2_999, 2_998, 2_997)]
    doc = streamed.document
    assert (doc["total_erased"], doc["synthetic_erased"]) == (RECEIPTS - synthetic, synthetic)
    # AND its totals, counted while streaming, agree with the ledger's own count
    assert doc["totals_by_reason"] == {r: ledger.totals("CA", synthetic=False).get(r, 0)
                                       for r in REASONS}
