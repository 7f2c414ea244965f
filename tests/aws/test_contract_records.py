"""The RecordStore contract suite, run against the DynamoDB adapter (moto in-process and
moto_server). Erasure intents are read back from the table's stream, through the same
`change_from_record` the Lambda uses: on AWS the stream is the outbox."""

from __future__ import annotations

import pytest

from humangov.adapters.aws.naming import Naming
from humangov.adapters.aws.provision import ensure_platform, ensure_table, records_table_spec
from humangov.adapters.records.dynamodb import DynamoDBRecordStore
from tests.aws.stream_reader import stream_changes
from tests.contract.conftest import RecordHarness
from tests.contract.test_record_store import *


@pytest.fixture
def record_harness(aws) -> RecordHarness:
    naming = Naming.from_settings(aws.settings)
    ensure_platform(aws.settings, aws.clients)
    store = DynamoDBRecordStore(
        aws.clients, naming, aws.settings.aws_platform_table,
        provisioner=lambda code: ensure_table(aws.clients, records_table_spec(naming.table(code))))
    return RecordHarness(store, lambda: stream_changes(aws.clients, naming))


@pytest.fixture
def record_store(record_harness):
    return record_harness.store


@pytest.fixture
def recorded_changes(record_harness):
    return record_harness.changes
