"""`states add` on the AWS backend creates the state's table (stream on) and bucket."""

from __future__ import annotations

from humangov.bootstrap import bootstrap


def test_adding_a_state_creates_its_streamed_table_and_private_versioned_bucket(aws_local):
    container = bootstrap(aws_local.settings)
    assert container.personnel.add_state("CA") is True
    assert container.personnel.add_state("CA") is False  # idempotent
    table = aws_local.clients.dynamodb.describe_table(TableName="humangov-ca-records")["Table"]
    assert table["StreamSpecification"] == {
        "StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    s3 = aws_local.clients.s3
    assert s3.get_bucket_versioning(Bucket="humangov-ca-documents")["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket="humangov-ca-documents")[
        "PublicAccessBlockConfiguration"
    ]
    assert all(block.values())
    rules = s3.get_bucket_encryption(Bucket="humangov-ca-documents")[
        "ServerSideEncryptionConfiguration"
    ]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert [s.code for s in container.personnel.list_states()] == ["CA"]
