"""The AuditLog contract suite, run against the DynamoDB audit log (moto in-process and
moto_server)."""

from __future__ import annotations

import pytest

from humangov.adapters.audit.dynamodb import DynamoDBAuditLog
from humangov.adapters.aws.provision import ensure_platform
from tests.contract.test_audit_log import *


@pytest.fixture
def audit_log(aws) -> DynamoDBAuditLog:
    ensure_platform(aws.settings, aws.clients)
    return DynamoDBAuditLog(aws.clients, aws.settings.aws_platform_table)
