"""`states add` never takes over a table or bucket HumanGov did not create (issue 12)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from humangov.adapters.aws.naming import IDENTITY_TAG
from tests.legacy.test_backlog import humangov

TX_TABLE, TX_BUCKET = "humangov-tx-records", "humangov-tx-documents"


def registered(clients, state: str) -> bool:
    from humangov.config import Settings

    got = clients.dynamodb.get_item(TableName=Settings().aws_platform_table,
                                    Key={"pk": {"S": "STATE"}, "sk": {"S": state}})
    return "Item" in got


def absent_bucket(s3, name: str) -> bool:
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=name)
    return True


def test_an_earlier_shaped_table_is_refused_pointing_to_adopt(on_aws):
    aws, _, _ = on_aws
    ddb = aws.clients.dynamodb
    # The earlier application's table, under the name HumanGov's pattern gives TX.
    ddb.create_table(TableName=TX_TABLE, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    result = humangov("states", "add", "TX")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: The table {TX_TABLE} exists and HumanGov did not create it (its key is id, "
        "not pk, sk)")
    assert "humangov legacy attach --state TX" in result.stderr
    assert "humangov adopt" in result.stderr and "docs/adopt.md" in result.stderr
    assert "provisioned" not in result.stdout
    # Nothing was created or registered, and the table is as it was.
    assert absent_bucket(aws.clients.s3, TX_BUCKET)
    assert not registered(aws.clients, "TX")
    assert "StreamSpecification" not in ddb.describe_table(TableName=TX_TABLE)["Table"]


def test_an_untagged_bucket_without_a_humangov_table_is_refused(on_aws):
    aws, _, _ = on_aws
    s3 = aws.clients.s3
    s3.create_bucket(Bucket=TX_BUCKET)
    result = humangov("states", "add", "TX")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: The bucket {TX_BUCKET} exists and HumanGov did not create it (it has no "
        f"{IDENTITY_TAG} tag and TX has no HumanGov table)")
    with pytest.raises(ClientError, match="NoSuchTagSet"):
        s3.get_bucket_tagging(Bucket=TX_BUCKET)
    # No table was left behind, which a second run would take for HumanGov's: still refused.
    with pytest.raises(ClientError, match="ResourceNotFound"):
        aws.clients.dynamodb.describe_table(TableName=TX_TABLE)
    assert humangov("states", "add", "TX").exit_code == 1
    assert not registered(aws.clients, "TX")


def test_an_attached_earlier_bucket_is_refused_as_a_states_own(on_aws, monkeypatch):
    aws, _, _ = on_aws
    from tests.legacy.conftest import BUCKET
    from tests.legacy.test_backlog import attach

    attach()
    # A state whose bucket pattern names the earlier bucket.
    monkeypatch.setenv("HUMANGOV_AWS_BUCKET_PATTERN", BUCKET)
    refused = humangov("states", "add", "NV")
    assert refused.exit_code == 1
    assert "humangov:legacy-state=CA, an earlier application's attached bucket" in refused.stderr
    assert not registered(aws.clients, "NV")
