"""The RequestStore contract suite, run against the DynamoDB platform table (moto in-process
and moto_server)."""

from __future__ import annotations

import pytest

from humangov.adapters.aws.provision import ensure_platform
from humangov.adapters.requests.dynamodb import DynamoDBRequestStore
from tests.contract.test_request_store import *


@pytest.fixture
def request_store(aws) -> DynamoDBRequestStore:
    ensure_platform(aws.settings, aws.clients)
    return DynamoDBRequestStore(aws.clients, aws.settings.aws_platform_table)
