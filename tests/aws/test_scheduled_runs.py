"""The scheduled runs on DynamoDB: a state whose items cannot be read fails alone; the others
are still done, the summary line counts the failure and the command exits 1 (alarmed on
AWS)."""

from __future__ import annotations

import json

import pytest

from humangov.bootstrap import bootstrap
from humangov.domain.auth import Principal
from tests.cli.test_cli import humangov


def _unreadable_employee(aws) -> dict:
    return {"TableName": aws.settings.aws_table_pattern.format(state="tx"),
            "Item": {"pk": {"S": "EMP#x"}, "sk": {"S": "EMP"}, "kind": {"S": "EMP"},
                     "lk": {"S": "x"}}}


def _unreadable_request(aws) -> dict:
    return {"TableName": aws.settings.aws_platform_table,
            "Item": {"pk": {"S": "REQUEST#TX"}, "sk": {"S": "x"}, "data": {"S": "{"}}}


@pytest.mark.parametrize("command, unreadable", [
    (["retention", "daily"], _unreadable_employee),
    (["requests", "check", "--format", "json"], _unreadable_request),
])
def test_a_state_that_fails_fails_alone_and_the_run_exits_1(aws_local, command, unreadable):
    settings = aws_local.settings
    c = bootstrap(settings)
    for code in ("CA", "TX"):
        c.personnel.add_state(code)
        c.retention.set(code, None, 7, Principal("cli:test", "admin"))
    c.close()
    aws_local.clients.dynamodb.put_item(**unreadable(aws_local))

    result = humangov(*command, "--data-dir", settings.data_dir,
                      env={"HUMANGOV_BACKEND": "aws", "HUMANGOV_ENVIRONMENT": "test",
                           "HUMANGOV_MONITORING": "false"})

    assert result.exit_code == 1, (result.stdout, result.stderr)
    [summary] = [json.loads(line) for line in result.stdout.splitlines()]
    assert (summary["states"], summary["failed"]) == (2, 1)
    assert "failed for TX" in result.stderr
