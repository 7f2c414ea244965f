"""The AccountStore contract suite, run against the DynamoDB adapter."""

from __future__ import annotations

import pytest

from humangov.adapters.accounts.dynamodb import DynamoDBAccountStore
from humangov.adapters.aws.provision import ensure_platform
from tests.contract.test_account_store import *


@pytest.fixture
def account_store(aws) -> DynamoDBAccountStore:
    ensure_platform(aws.settings, aws.clients)
    return DynamoDBAccountStore(aws.clients, aws.settings.aws_platform_table)
