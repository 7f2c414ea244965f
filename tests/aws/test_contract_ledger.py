"""The Ledger contract suite, run against the DynamoDB ledger (moto in-process and moto_server)."""

from __future__ import annotations

import pytest

from humangov.adapters.aws.provision import ensure_platform
from humangov.adapters.erasure.dynamodb import DynamoDBLedger
from tests.contract.test_ledger import *
from tests.contract.test_ledger import receipt


@pytest.fixture
def ledger(aws) -> DynamoDBLedger:
    ensure_platform(aws.settings, aws.clients)
    return DynamoDBLedger(aws.clients, aws.settings.aws_ledger_table)


def test_a_receipt_written_before_the_synthetic_flag_reads_as_the_states_own(ledger):
    # GIVEN a receipt item as the ledger wrote it before receipts carried `synthetic`
    ledger.append([receipt(1)])
    ledger.clients.dynamodb.update_item(
        TableName=ledger.table, Key={"pk": {"S": "R#change-1#0001/0001.pdf"}, "sk": {"S": "R"}},
        UpdateExpression="REMOVE synthetic")
    # THEN it is listed and counted as the state's own, not as a canary's
    [own], _ = ledger.receipts("CA", limit=5, cursor=None, synthetic=False)
    assert own.synthetic is False
    assert ledger.receipts("CA", limit=5, cursor=None, synthetic=True) == ([], None)
    assert ledger.totals("CA", synthetic=False) == {"record-deleted": 1}
