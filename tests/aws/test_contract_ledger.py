"""The Ledger contract suite, run against the DynamoDB ledger (moto in-process and moto_server)."""

from __future__ import annotations

import pytest

from humangov.adapters.aws.provision import ensure_platform
from humangov.adapters.erasure.dynamodb import DynamoDBLedger
from tests.contract.test_ledger import *


@pytest.fixture
def ledger(aws) -> DynamoDBLedger:
    ensure_platform(aws.settings, aws.clients)
    return DynamoDBLedger(aws.clients, aws.settings.aws_ledger_table)
