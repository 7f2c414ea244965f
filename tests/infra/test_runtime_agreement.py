"""GIVEN the app synthesised for CA and TX, THEN it agrees with the runtime it deploys: the
tables have the runtime's keys and indexes, every HUMANGOV_* variable is one the runtime reads
and names what the stacks created, and each role allows the AWS calls its code makes.

The runtime's own specs and constants are imported, so a change on either side fails here."""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

import pytest

from humangov.adapters.aws.naming import Naming
from humangov.adapters.aws.provision import TTL_ATTRIBUTE, records_table_spec, shared_table_specs
from humangov.aws import alarm_to_slack
from humangov.config import Settings

pytestmark = pytest.mark.xdist_group("infra")

SRC = Path(__file__).resolve().parents[2] / "src" / "humangov"
EVENTS = Path(__file__).resolve().parents[1] / "events"
# Settings fields whose defaults the infra config restates, infra name -> runtime name.
SAME_DEFAULTS = {"region": "aws_region", "table_pattern": "aws_table_pattern",
                 "bucket_pattern": "aws_bucket_pattern", "ledger_table": "aws_ledger_table",
                 "platform_table": "aws_platform_table",
                 "dead_letter_table": "aws_dead_letter_table"}

# boto3 operation -> the IAM actions that authorise it. An operation missing here fails the
# tests below: grant it in infra/ (or say why not in NOT_GRANTED), then map it.
ACTIONS = {
    "dynamodb.GetItem": {"dynamodb:GetItem"}, "dynamodb.PutItem": {"dynamodb:PutItem"},
    "dynamodb.UpdateItem": {"dynamodb:UpdateItem"}, "dynamodb.DeleteItem": {"dynamodb:DeleteItem"},
    "dynamodb.Query": {"dynamodb:Query"}, "dynamodb.Scan": {"dynamodb:Scan"},
    "dynamodb.BatchWriteItem": {"dynamodb:BatchWriteItem"},
    "dynamodb.BatchGetItem": {"dynamodb:BatchGetItem"},
    "dynamodb.DescribeTable": {"dynamodb:DescribeTable"},
    # Authorised per item by its action; every TransactItem of ours is a Put.
    "dynamodb.TransactWriteItems": {"dynamodb:PutItem"},
    "s3.HeadObject": {"s3:GetObject"}, "s3.GetObject": {"s3:GetObject"},
    "s3.PutObject": {"s3:PutObject"}, "s3.CreateMultipartUpload": {"s3:PutObject"},
    "s3.UploadPart": {"s3:PutObject"}, "s3.CompleteMultipartUpload": {"s3:PutObject"},
    "s3.AbortMultipartUpload": {"s3:AbortMultipartUpload"},
    "s3.ListObjectsV2": {"s3:ListBucket"}, "s3.HeadBucket": {"s3:ListBucket"},
    "s3.ListObjectVersions": {"s3:ListBucketVersions"},
    "s3.GetBucketTagging": {"s3:GetBucketTagging"},
    "s3.DeleteObjects": {"s3:DeleteObject", "s3:DeleteObjectVersion"},
    "s3.PutObjectLegalHold": {"s3:PutObjectLegalHold"},
    "s3.GetObjectLegalHold": {"s3:GetObjectLegalHold"},
    "s3.GetObjectLockConfiguration": {"s3:GetBucketObjectLockConfiguration"},
}
# Calls in the app's adapters the CDK deployment deliberately does not allow.
NOT_GRANTED = {
    "s3.DeleteBucket": "S3BlobStore.drop_state; CDK retains buckets, operators delete them",
}
APP_ADAPTERS = ["adapters/records/dynamodb.py", "adapters/accounts/dynamodb.py",
                "adapters/erasure/dynamodb.py", "adapters/blobs/s3.py",
                "adapters/holds/dynamodb.py"]


def _statements(template_json: dict, role_prefix: str) -> list[dict]:
    return [s for logical_id, r in template_json["Resources"].items()
            if r["Type"] == "AWS::IAM::Policy" and logical_id.startswith(role_prefix)
            for s in r["Properties"]["PolicyDocument"]["Statement"]]


def _actions(statement: dict) -> set[str]:
    actions = statement["Action"]
    return {actions} if isinstance(actions, str) else set(actions)


def _resources(template_json: dict, resource_type: str) -> list[dict]:
    return [r["Properties"] for r in template_json["Resources"].values()
            if r["Type"] == resource_type]


def _layout(props: dict) -> dict:
    """Keys, attribute types and indexes of a table, in an order-free comparable form."""
    return {
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": sorted(props["AttributeDefinitions"],
                                       key=lambda a: a["AttributeName"]),
        "GlobalSecondaryIndexes": sorted(
            ({k: i[k] for k in ("IndexName", "KeySchema", "Projection")}
             for i in props.get("GlobalSecondaryIndexes", [])),
            key=lambda i: i["IndexName"]),
    }


def _runtime_settings(config) -> Settings:
    return Settings(**{runtime: getattr(config, infra) for infra, runtime in SAME_DEFAULTS.items()})


def test_the_infra_defaults_name_what_the_runtime_defaults_to():
    from humangov_infra.config import InfraConfig

    infra = InfraConfig.__dataclass_fields__
    runtime = Settings.model_fields
    assert {k: infra[k].default for k in SAME_DEFAULTS} == {
        k: runtime[v].default for k, v in SAME_DEFAULTS.items()}


def test_each_state_table_has_the_keys_indexes_stream_and_ttl_of_the_runtime_spec(synthesised):
    for state in synthesised.config.states:
        # GIVEN the runtime's spec for the state's table, as `states add` would create it
        spec = records_table_spec(synthesised.config.table_name(state))
        # WHEN the state's stack is synthesised
        [table] = _resources(synthesised.template_json(f"HumanGov-{state}"),
                             "AWS::DynamoDB::Table")
        # THEN the table is the same one
        assert table["TableName"] == spec["TableName"]
        assert _layout(table) == _layout(spec)
        assert table["StreamSpecification"]["StreamViewType"] == (
            spec["StreamSpecification"]["StreamViewType"])
        assert table["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE,
                                                    "Enabled": True}


def test_the_shared_stack_has_the_platform_ledger_and_dead_letter_tables_of_the_runtime(
    synthesised,
):
    tables = {t["TableName"]: t for t in _resources(synthesised.template_json("HumanGov-Shared"),
                                                    "AWS::DynamoDB::GlobalTable")}
    specs = shared_table_specs(_runtime_settings(synthesised.config))
    assert len(specs) == 3
    for spec in specs:
        assert spec["TableName"] in tables, f"the CDK app creates no {spec['TableName']}"
        assert _layout(tables[spec["TableName"]]) == _layout(spec), spec["TableName"]


def _functions(synthesised) -> dict[str, dict]:
    out = {}
    for stack in ("HumanGov-Shared", "HumanGov-CA"):
        for f in _resources(synthesised.template_json(stack), "AWS::Lambda::Function"):
            out[f["Handler"]] = f.get("Environment", {}).get("Variables", {})
    return out


def _app_environment(synthesised) -> dict:
    [task] = _resources(synthesised.template_json("HumanGov-Shared"), "AWS::ECS::TaskDefinition")
    [container] = task["ContainerDefinitions"]
    return {e["Name"]: e["Value"] for e in container["Environment"]}


def test_every_humangov_variable_given_to_a_function_or_the_app_is_one_the_runtime_reads(
    synthesised,
):
    readable = {f"HUMANGOV_{name.upper()}" for name in Settings.model_fields}
    readable.add(alarm_to_slack.SECRET_ID_ENV)
    given = [*_functions(synthesised).values(), _app_environment(synthesised)]
    unread = {k for env in given for k in env if k.startswith("HUMANGOV_")} - readable
    assert not unread, f"set by infra/ but read by nothing in the runtime: {sorted(unread)}"


@pytest.mark.parametrize("entry", ["humangov.aws.stream_cleanup.handler", "app"])
def test_the_erasure_function_and_the_app_name_the_tables_and_buckets_the_stacks_create(
    synthesised, monkeypatch, entry,
):
    # GIVEN the environment the CDK gives the entry point (tokens such as the region aside)
    env = (_app_environment(synthesised) if entry == "app"
           else _functions(synthesised)[entry])
    for name in list(os.environ):
        if name.startswith("HUMANGOV_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        if isinstance(value, str):
            monkeypatch.setenv(name, value)
    # WHEN the runtime reads its settings from it
    settings = Settings()
    naming = Naming.from_settings(settings)
    # THEN it runs on AWS and names exactly what the stacks made
    assert settings.backend == "aws"
    assert "HUMANGOV_AWS_REGION" in env
    [table] = _resources(synthesised.template_json("HumanGov-CA"), "AWS::DynamoDB::Table")
    [bucket] = [b for b in _resources(synthesised.template_json("HumanGov-CA"), "AWS::S3::Bucket")
                if "VersioningConfiguration" in b]
    assert naming.table("CA") == table["TableName"]
    assert naming.bucket("CA") == bucket["BucketName"]
    shared = {t["TableName"] for t in _resources(synthesised.template_json("HumanGov-Shared"),
                                                 "AWS::DynamoDB::GlobalTable")}
    assert {settings.aws_ledger_table, settings.aws_dead_letter_table} <= shared
    if entry == "app":
        assert {settings.aws_platform_table, settings.aws_dead_letter_table} <= shared
        # The canary users the browser canary logs in as: their records are synthetic
        assert settings.canary_emails.split(",") == [
            "canary-ca@humangov.local", "canary-tx@humangov.local"]


def test_the_slack_function_is_given_the_secret_under_the_name_it_reads(synthesised):
    env = _functions(synthesised)["humangov.aws.alarm_to_slack.handler"]
    assert env[alarm_to_slack.SECRET_ID_ENV] == synthesised.config.slack_webhook_secret
    statements = _statements(synthesised.template_json("HumanGov-Shared"), "AlarmToSlackRole")
    assert any("secretsmanager:GetSecretValue" in _actions(s) for s in statements)


def _operations_in(source: str) -> set[str]:
    """boto3 operations called in an adapter's source: `_ddb.put_item(`, paginators, query_all."""
    ops = set()
    # `self._s3.put_object,` too: S3BlobStore passes some methods to its `_call` wrapper.
    for service, method in re.findall(r"_(ddb|s3)\.(\w+)[(,]", source):
        if method == "get_paginator":
            continue
        ops.add(f"{'dynamodb' if service == 'ddb' else 's3'}.{_camel(method)}")
    for service, op in re.findall(r"_(ddb|s3)\.get_paginator\(\"(\w+)\"\)", source):
        ops.add(f"{'dynamodb' if service == 'ddb' else 's3'}.{_camel(op)}")
    for op in re.findall(r"query_all\(self\._ddb,(?: _op=\"(\w+)\",)?", source):
        ops.add(f"dynamodb.{_camel(op or 'query')}")
    return ops


def _camel(snake: str) -> str:
    special = {"list_objects_v2": "ListObjectsV2"}
    return special.get(snake) or "".join(p.capitalize() for p in snake.split("_"))


def test_the_app_role_allows_every_call_of_the_aws_adapters_on_the_tables_it_reaches(
    synthesised,
):
    # GIVEN every boto3 call in the adapters `humangov serve` runs on AWS
    ops = set().union(*(_operations_in((SRC / path).read_text()) for path in APP_ADAPTERS))
    ops |= {"dynamodb.DescribeTable", "s3.HeadBucket"}  # provision.ensure_* on existing ones
    unmapped = ops - set(ACTIONS) - set(NOT_GRANTED)
    assert not unmapped, f"new AWS calls in the adapters; grant and map them: {sorted(unmapped)}"
    needed = set().union(*(ACTIONS[op] for op in ops if op in ACTIONS))
    # WHEN the app's task role is synthesised
    statements = _statements(synthesised.template_json("HumanGov-Shared"), "AppTaskRole")
    granted = set().union(*(_actions(s) for s in statements))
    # THEN it allows them, on the state tables and indexes, the shared tables and buckets
    assert needed <= granted, f"missing: {sorted(needed - granted)}"
    assert not granted & {"s3:ListAllMyBuckets", "s3:DeleteBucket"}
    text = json.dumps(statements)
    config = synthesised.config
    table_pattern = config.table_pattern.format(state="*")
    for fragment in (f"table/{table_pattern}", f"table/{table_pattern}/index/*",
                     f"s3:::{config.bucket_pattern.format(state='*')}", "/index/by_state"):
        assert fragment in text, fragment
    shared = synthesised.template_json("HumanGov-Shared")["Resources"]
    for name in (config.platform_table, config.ledger_table, config.dead_letter_table):
        logical = next(k for k, v in shared.items() if v["Type"] == "AWS::DynamoDB::GlobalTable"
                       and v["Properties"]["TableName"] == name)
        assert logical in text, f"the app role does not reach {name}"


def test_the_erasure_role_allows_every_call_the_lambda_makes_erasing_a_document(
    synthesised, monkeypatch, tmp_path,
):
    import boto3
    from moto import mock_aws

    from humangov.adapters.aws.clients import AwsClients
    from humangov.adapters.aws.provision import ensure_platform, provision_state
    from humangov.aws import stream_cleanup
    from humangov.bootstrap import lambda_runtime

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    batch = json.loads((EVENTS / "dynamodb_stream_remove.json").read_text())
    record = batch["Records"][0]
    key = record["dynamodb"]["OldImage"]["doc_key"]["S"]
    # A second change to a record that carried no checksum, once the key is already gone:
    # the fingerprint and "already-absent" paths.
    unsummed = copy.deepcopy(record)
    unsummed["eventID"] = "second-change"
    del unsummed["dynamodb"]["OldImage"]["doc_sha256"]
    # A third change failing for good (the bucket lost its identity tag): the attempts are
    # counted and, at the limit of two, it becomes a dead letter.
    failing = copy.deepcopy(record)
    failing["eventID"] = "failing-change"
    failing["dynamodb"]["OldImage"]["doc_key"]["S"] = "never/there.pdf"
    with mock_aws():
        settings = Settings(environment="test", backend="aws", data_dir=tmp_path,
                            erasure_max_attempts=2)
        clients = AwsClients(settings)
        ensure_platform(settings, clients)
        provision_state(settings, "CA", clients)
        bucket = settings.aws_bucket_pattern.format(state="ca")
        clients.s3.put_object(Bucket=bucket, Key=key, Body=b"%PDF-1")
        runtime = lambda_runtime(settings, clients)
        # GIVEN every AWS call the Lambda makes, recorded as it erases
        called: set[str] = set()
        for service in ("dynamodb", "s3"):
            clients.get(service).meta.events.register(
                "before-call.*.*",
                lambda model, **_: called.add(f"{model.service_model.service_name}.{model.name}"))
        assert stream_cleanup.handler(batch, runtime=runtime) == {"batchItemFailures": []}
        assert stream_cleanup.handler({"Records": [unsummed]}, runtime=runtime) == {
            "batchItemFailures": []}
        boto3.client("s3").delete_bucket_tagging(Bucket=bucket)  # not the Lambda's call
        runtime = lambda_runtime(settings, clients)  # no bucket identity cached
        assert stream_cleanup.handler({"Records": [failing]}, runtime=runtime)[
            "batchItemFailures"]
        assert stream_cleanup.handler({"Records": [failing]}, runtime=runtime) == {
            "batchItemFailures": []}
        assert [d.change.change_id for d in runtime.dead_letters.dead_letters("CA")] == [
            "failing-change"]
    assert {"s3.DeleteObjects", "s3.HeadObject", "dynamodb.PutItem", "dynamodb.UpdateItem",
            "dynamodb.TransactWriteItems", "dynamodb.DeleteItem"} <= called
    unmapped = called - set(ACTIONS)
    assert not unmapped, f"new AWS calls in the erasure path; grant and map them: {unmapped}"
    # WHEN the state's erasure role is synthesised
    statements = _statements(synthesised.template_json("HumanGov-CA"), "ErasureRole")
    granted = set().union(*(_actions(s) for s in statements))
    # THEN it allows each of them
    needed = set().union(*(ACTIONS[op] for op in called))
    assert needed <= granted, f"missing: {sorted(needed - granted)}"
