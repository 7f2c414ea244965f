"""Stopping the bleeding (issue 12): the `legacy` context attaches an earlier application's
table stream to the state's erasure Lambda, and grants it that bucket, creating nothing."""

from __future__ import annotations

import json

import pytest

from tests.infra.conftest import CONTEXT, REGISTERED_AT

TABLE = "humangov-california-dynamodb"
BUCKET = "humangov-california-s3-abcd"
STREAM = f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}/stream/2024-01-01T00:00:00.000"
LEGACY = {"CA": {"table": TABLE, "bucket": BUCKET, "stream_arn": STREAM}}


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    pytest.importorskip("aws_cdk")
    from aws_cdk.assertions import Template
    from humangov_infra.app import build

    outdir = tmp_path_factory.mktemp("cdk.legacy")
    context = {**CONTEXT, "states": "CA", "legacy": json.dumps(LEGACY)}  # as `-c legacy=...`
    app, _ = build(context, outdir=str(outdir), now=REGISTERED_AT)
    app.synth()  # cdk-nag: every finding acknowledged
    return Template.from_json(json.loads((outdir / "HumanGov-CA.template.json").read_text()))


def test_the_earlier_stream_gets_the_same_mapping_as_the_state_table(ca):
    mappings = ca.find_resources("AWS::Lambda::EventSourceMapping")
    by_source = {json.dumps(m["Properties"]["EventSourceArn"]): m["Properties"]
                 for m in mappings.values()}
    assert len(by_source) == 2
    earlier = by_source.pop(json.dumps(STREAM))
    [own] = by_source.values()
    same = ("BatchSize", "BisectBatchOnFunctionError", "MaximumRetryAttempts",
            "FunctionResponseTypes", "MaximumRecordAgeInSeconds", "DestinationConfig",
            "ParallelizationFactor", "StartingPosition", "FunctionName")
    assert {k: earlier[k] for k in same} == {k: own[k] for k in same}
    assert earlier["BisectBatchOnFunctionError"] is True
    # The earlier items have no `kind` to filter on: every REMOVE and MODIFY reaches the code.
    assert earlier["FilterCriteria"] == {
        "Filters": [{"Pattern": '{"eventName":["REMOVE","MODIFY"]}'}]}


def test_the_erasure_lambda_learns_the_earlier_table_and_bucket(ca):
    [function] = [f for f in ca.find_resources("AWS::Lambda::Function").values()
                  if f["Properties"].get("Handler") == "humangov.aws.stream_cleanup.handler"]
    env = function["Properties"]["Environment"]["Variables"]
    assert json.loads(env["HUMANGOV_AWS_LEGACY"]) == {"CA": {"table": TABLE, "bucket": BUCKET}}


def _statements(ca) -> dict[str, dict]:
    out = {}
    for policy in ca.find_resources("AWS::IAM::Policy").values():
        for st in policy["Properties"]["PolicyDocument"]["Statement"]:
            out[st.get("Sid") or json.dumps(st["Action"])] = st
    return out


def _arn_text(resource) -> str:
    return json.dumps(resource)


def test_the_role_may_erase_in_the_earlier_bucket_and_read_its_stream(ca):
    statements = _statements(ca)
    objects = statements["EraseEarlierDocuments"]
    assert set(objects["Action"]) == {"s3:GetObject", "s3:DeleteObject",
                                      "s3:DeleteObjectVersion"}
    assert f"{BUCKET}/*" in _arn_text(objects["Resource"])
    bucket = statements["FindEarlierVersions"]
    assert {"s3:ListBucketVersions", "s3:GetBucketTagging"} <= set(bucket["Action"])
    assert f":::{BUCKET}" in _arn_text(bucket["Resource"])
    stream_reads = [st for st in statements.values()
                    if "dynamodb:GetRecords" in st["Action"] and STREAM in _arn_text(st)]
    assert stream_reads and "dynamodb:GetShardIterator" in stream_reads[0]["Action"]


def test_nothing_is_created_or_replaced_for_the_earlier_table_or_bucket(ca):
    for kind in ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable", "AWS::S3::Bucket"):
        for resource in ca.find_resources(kind).values():
            text = json.dumps(resource)
            assert TABLE not in text and BUCKET not in text


def test_a_stream_arn_of_another_table_is_refused():
    from humangov_infra.config import InfraConfigError, parse_legacy

    wrong = {"CA": {**LEGACY["CA"], "stream_arn": STREAM.replace(TABLE, "other")}}
    with pytest.raises(InfraConfigError, match=f"stream of {TABLE}"):
        parse_legacy(wrong, ("CA",))
    with pytest.raises(InfraConfigError, match="TX is not among the deployed states"):
        parse_legacy({"TX": LEGACY["CA"]}, ("CA",))
    with pytest.raises(InfraConfigError, match="needs bucket"):
        parse_legacy({"CA": {"table": TABLE, "stream_arn": STREAM}}, ("CA",))
