"""The compliance report of a state with many receipts in the DynamoDB ledger (moto) is written
out a query page at a time, in bounded memory, totals counted as the receipts stream."""

from __future__ import annotations

import select
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from humangov.adapters.aws.provision import ensure_platform
from humangov.adapters.erasure.dynamodb import DynamoDBDeadLetters, DynamoDBLedger, _receipt_item
from humangov.domain.erasure import REASONS, Receipt
from humangov.erasure.report import open_report
from tests.aws.conftest import on_server
from tests.erasure.report_stream import read_streamed

RECEIPTS = 5_000
T0 = datetime(2026, 1, 1, tzinfo=UTC)
# A query page (1,000 items as botocore parses them: about 12 MB measured) and a page of
# report lines; all five thousand receipts as parsed items would be several times this.
PEAK_LIMIT = 20 * 1024 * 1024


def _receipt(i: int) -> Receipt:
    at = T0 + timedelta(seconds=i)
    return Receipt(state="CA", key=f"{i // 1000:04d}/{i:07d}.pdf", size=120_000,
                   sha256=f"{i:064x}", reason=REASONS[i % len(REASONS)], change_id=f"change-{i}",
                   actor="ca_admin", requested_at=at, erased_at=at, result="erased",
                   versions=("v1",), synthetic=i % 1000 == 0)


@pytest.fixture
def aws(monkeypatch, tmp_path):
    """moto in a process of its own: tracemalloc must see the report's memory, not moto's
    (moto materialises a whole index on every query)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H",
                               "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_listening(port)
        with on_server(monkeypatch, tmp_path, f"http://127.0.0.1:{port}") as env:
            yield env
    finally:
        server.terminate()
        server.wait()


def _wait_listening(port: int) -> None:
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.05).close()
            return
        except OSError:
            select.select([], [], [], 0.05)  # the server is still starting
    raise AssertionError("moto_server did not start")


@pytest.mark.slow
def test_many_receipts_stream_from_dynamodb_in_bounded_memory(aws):
    # GIVEN five thousand receipts of CA (five pages), one in a thousand a canary's
    ensure_platform(aws.settings, aws.clients)
    ledger = DynamoDBLedger(aws.clients, aws.settings.aws_ledger_table)
    ddb = aws.clients.dynamodb
    for start in range(0, RECEIPTS, 25):  # BatchWriteItem takes at most 25 puts
        ddb.batch_write_item(RequestItems={ledger.table: [
            {"PutRequest": {"Item": _receipt_item(_receipt(i))}}
            for i in range(start, start + 25)]})
    dead = DynamoDBDeadLetters(aws.clients, aws.settings.aws_dead_letter_table)
    # (botocore loads an operation's model on its first call: not the report's memory)
    ledger.receipts("TX", limit=1, cursor=None, synthetic=False)
    # WHEN the report is written out
    report = open_report("CA", ledger=ledger, outbox=dead, now=T0)
    streamed = read_streamed(report.json_chunks())
    # THEN every receipt is in it, latest first, within a bounded peak of memory
    assert streamed.peak_bytes < PEAK_LIMIT, streamed.peak_bytes
    synthetic = RECEIPTS // 1000
    assert streamed.receipts == RECEIPTS
    assert streamed.keys_in_order == [f"0004/{i:07d}.pdf" for i in (4_999, 4_998, 4_997)]
    doc = streamed.document
    assert (doc["total_erased"], doc["synthetic_erased"]) == (RECEIPTS - synthetic, synthetic)
    # AND its totals, counted while streaming, agree with the ledger's own count
    assert doc["totals_by_reason"] == {r: ledger.totals("CA", synthetic=False).get(r, 0)
                                       for r in REASONS}
