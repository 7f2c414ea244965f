"""GIVEN the app synthesised for CA and TX, THEN each resource carries the properties the
erasure and monitoring promises depend on."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.xdist_group("infra")


def _m():
    from aws_cdk.assertions import Match

    return Match


def _statements(template_json: dict, role_prefix: str) -> list[dict]:
    out = []
    for logical_id, resource in template_json["Resources"].items():
        if resource["Type"] == "AWS::IAM::Policy" and logical_id.startswith(role_prefix):
            out.extend(resource["Properties"]["PolicyDocument"]["Statement"])
    return out


def _actions(statement: dict) -> set[str]:
    actions = statement["Action"]
    return {actions} if isinstance(actions, str) else set(actions)


def test_each_state_table_is_on_demand_with_a_full_image_stream_pitr_and_encryption(ca):
    ca.has_resource_properties("AWS::DynamoDB::Table", {
        "TableName": "humangov-ca-records",
        "BillingMode": "PAY_PER_REQUEST",
        "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    })


def test_each_state_bucket_is_private_encrypted_versioned_and_cleans_old_versions(ca):
    Match = _m()
    ca.has_resource_properties("AWS::S3::Bucket", {
        "BucketName": "humangov-ca-documents",
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True, "BlockPublicPolicy": True,
            "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
        },
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
        "VersioningConfiguration": {"Status": "Enabled"},
        "LifecycleConfiguration": {"Rules": [Match.object_like({
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
            "ExpiredObjectDeleteMarker": True,
            "Status": "Enabled",
        })]},
        "ObjectLockEnabled": Match.absent(),
    })


def test_each_state_bucket_carries_its_identity_and_both_roles_may_read_it(synthesised):
    from humangov.adapters.aws.naming import IDENTITY_TAG

    for state in synthesised.config.states:
        # GIVEN the state's stack
        template = synthesised.template_json(f"HumanGov-{state}")
        # THEN its bucket carries the tag the S3 store checks before erasing, sweeping, storing
        [bucket] = [r["Properties"] for r in template["Resources"].values()
                    if r["Type"] == "AWS::S3::Bucket"]
        assert {"Key": IDENTITY_TAG, "Value": state} in bucket["Tags"]
    # AND the erasure role and the app role may read it on the bucket (not its objects),
    # with the version listing the sweep and erasure make
    erasure = {s.get("Sid"): s for s in _statements(synthesised.template_json("HumanGov-CA"),
                                                  "ErasureRole")}["FindVersions"]
    app = {s.get("Sid"): s for s in _statements(synthesised.template_json("HumanGov-Shared"),
                                                "AppTaskRole")}["ListStateDocuments"]
    for statement in (erasure, app):
        assert {"s3:GetBucketTagging", "s3:ListBucketVersions"} <= _actions(statement)
        assert "/*" not in str(statement["Resource"])


def test_each_state_bucket_refuses_requests_without_tls(ca):
    Match = _m()
    ca.has_resource_properties("AWS::S3::BucketPolicy", {
        "PolicyDocument": {"Statement": Match.array_with([Match.object_like({
            "Effect": "Deny", "Action": "s3:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        })])},
    })


def test_the_erasure_lambda_runs_the_stream_cleanup_handler_from_this_repository(ca):
    ca.has_resource_properties("AWS::Lambda::Function", {
        "Handler": "humangov.aws.stream_cleanup.handler",
        "Runtime": "python3.11",
        "Layers": [_m().any_value()],
    })


def test_the_stream_mapping_filters_bisects_bounds_retries_and_dead_letters(ca):
    Match = _m()
    ca.has_resource_properties("AWS::Lambda::EventSourceMapping", {
        "EventSourceArn": {"Fn::GetAtt": [Match.string_like_regexp("Records"), "StreamArn"]},
        "FilterCriteria": {"Filters": [Match.any_value(), Match.any_value()]},
        "ParallelizationFactor": 10,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "BisectBatchOnFunctionError": True,
        "MaximumRetryAttempts": 5,
        "MaximumRecordAgeInSeconds": 6 * 3600,
        "StartingPosition": "TRIM_HORIZON",
        "DestinationConfig": {"OnFailure": {"Destination": {
            "Fn::GetAtt": [Match.string_like_regexp("ErasureDeadLetters"), "Arn"]}}},
    })


def test_dead_letters_raise_an_alarm_into_the_alarm_topic(ca):
    Match = _m()
    ca.has_resource_properties("AWS::CloudWatch::Alarm", {
        "MetricName": "ApproximateNumberOfMessagesVisible",
        "Namespace": "AWS/SQS",
        "Threshold": 0,
        "ComparisonOperator": "GreaterThanThreshold",
        "AlarmActions": [{"Fn::ImportValue": Match.string_like_regexp("AlarmTopic")}],
    })
    ca.has_resource_properties("AWS::SQS::Queue", {"SqsManagedSseEnabled": True})


def test_the_erasure_role_reads_its_stream_and_records_erases_in_its_bucket_writes_receipts(
    synthesised,
):
    # GIVEN the CA stack's erasure role
    template = synthesised.template_json("HumanGov-CA")
    statements = _statements(template, "ErasureRole")
    granted = set().union(*(_actions(s) for s in statements))
    # THEN it holds the actions of the stream_cleanup path and no others
    assert granted == {
        "logs:CreateLogStream", "logs:PutLogEvents",
        "s3:GetObject", "s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketTagging",
        "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObjectLegalHold",
        "dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
        "dynamodb:ListStreams", "sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
    }
    by_sid = {s.get("Sid"): s for s in statements}
    table = {"Fn::GetAtt": [_resource_id(template, "AWS::DynamoDB::Table"), "Arn"]}
    # ... reads (never writes) only its own state's records, and only the by_doc index
    assert _actions(by_sid["CheckReferences"]) == {"dynamodb:GetItem", "dynamodb:Query"}
    assert by_sid["CheckReferences"]["Resource"] == [
        table, {"Fn::Join": ["", [table, "/index/by_doc"]]}]
    # ... deletes only in its own bucket, writes only the ledger
    assert by_sid["EraseDocuments"]["Resource"] == {"Fn::Join": ["", [
        {"Fn::GetAtt": [_bucket_id(synthesised), "Arn"]}, "/*"]]}
    assert _actions(by_sid["Receipts"]) == {"dynamodb:GetItem", "dynamodb:PutItem"}
    assert "table/humangov-erasure-ledger" in str(by_sid["Receipts"]["Resource"])
    assert "StreamArn" in str([s["Resource"] for s in statements
                               if "dynamodb:GetRecords" in _actions(s)])
    assert not any(a.endswith("*") for a in granted), "no wildcard actions"


def _resource_id(template_json: dict, resource_type: str) -> str:
    return next(k for k, v in template_json["Resources"].items() if v["Type"] == resource_type)


def _bucket_id(synthesised) -> str:
    resources = synthesised.template_json("HumanGov-CA")["Resources"]
    return next(k for k, v in resources.items() if v["Type"] == "AWS::S3::Bucket")


def test_each_state_has_a_python_canary_every_five_minutes_against_its_own_host(ca):
    # states.yaml's default (canary_every: 5m), a fifth of a per-minute canary's bill.
    Match = _m()
    ca.has_resource_properties("AWS::Synthetics::Canary", {
        "Name": "humangov-ca",
        "RuntimeVersion": Match.string_like_regexp("^syn-python-selenium-"),
        "Schedule": {"Expression": "rate(5 minutes)"},
        "StartCanaryAfterCreation": True,
        "RunConfig": Match.object_like({"EnvironmentVariables": Match.object_like({
            "HUMANGOV_BASE_URL": "https://ca.humangov.example.gov",
            "HUMANGOV_STATE": "CA",
            "HUMANGOV_CANARY_TOKEN_SECRET": Match.any_value(),
        })}),
        "Code": Match.object_like({"Handler": "humangov_canary.handler"}),
    })


def test_the_canary_alarm_period_is_the_canary_interval(ca):
    # Each alarm period is one canary interval (5 minutes here), so no run is missing by design.
    ca.has_resource_properties("AWS::CloudWatch::Alarm", {
        "MetricName": "SuccessPercent", "Period": 300})


def test_the_canary_alarm_is_m_of_n_and_treats_missing_runs_as_failures(ca):
    Match = _m()
    ca.has_resource_properties("AWS::CloudWatch::Alarm", {
        "MetricName": "SuccessPercent",
        "Namespace": "CloudWatchSynthetics",
        "Dimensions": [{"Name": "CanaryName", "Value": Match.any_value()}],
        "EvaluationPeriods": 5,
        "DatapointsToAlarm": 3,
        "Threshold": 100,
        "ComparisonOperator": "LessThanThreshold",
        "TreatMissingData": "breaching",
        "AlarmActions": [{"Fn::ImportValue": Match.string_like_regexp("AlarmTopic")}],
    })


def test_the_alarm_topic_is_encrypted_and_cloudwatch_may_use_its_key(shared):
    Match = _m()
    shared.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})
    shared.has_resource_properties("AWS::KMS::Key", {
        "EnableKeyRotation": True,
        "KeyPolicy": {"Statement": Match.array_with([Match.object_like({
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        })])},
    })


def test_alarms_reach_slack_through_the_lambda_alone_whose_failures_are_kept_and_alarmed(
    shared
):
    Match = _m()
    shared.has_resource_properties("AWS::Lambda::Function", {
        "Handler": "humangov.aws.alarm_to_slack.handler",
        "Environment": {"Variables": Match.object_like({
            "HUMANGOV_SLACK_SECRET_ID": "humangov/slack-webhook"})},
    })
    shared.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "lambda"})
    shared.resource_count_is("AWS::Chatbot::SlackChannelConfiguration", 0)
    failures = {"Fn::GetAtt": [Match.string_like_regexp("AlarmToSlackFailures"), "Arn"]}
    shared.has_resource_properties("AWS::Lambda::EventInvokeConfig", {
        "MaximumRetryAttempts": 2,
        "DestinationConfig": {"OnFailure": {"Destination": failures}},
    })
    shared.has_resource_properties("AWS::CloudWatch::Alarm", {
        "MetricName": "ApproximateNumberOfMessagesVisible",
        "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [
            Match.string_like_regexp("AlarmToSlackFailures"), "QueueName"]}}],
        "AlarmActions": [{"Ref": Match.string_like_regexp("AlarmTopic")}],
        "OKActions": [{"Ref": Match.string_like_regexp("AlarmTopic")}],
    })


def test_both_paths_to_slack_are_refused_at_synth():
    from humangov_infra.config import InfraConfigError, load

    from tests.infra.conftest import CHATBOT, CONTEXT

    with pytest.raises(InfraConfigError, match="reach Slack twice"):
        load({**CONTEXT, **CHATBOT, "slack_lambda": "true"}.get)


def test_the_app_runs_on_fargate_from_the_dockerfile_with_the_aws_backend(shared, synthesised):
    Match = _m()
    shared.has_resource_properties("AWS::ECS::TaskDefinition", {
        "RequiresCompatibilities": ["FARGATE"],
        "ContainerDefinitions": [Match.object_like({
            "PortMappings": [Match.object_like({"ContainerPort": 8000})],
            "Environment": Match.array_with([{"Name": "HUMANGOV_BACKEND", "Value": "aws"}]),
            "Secrets": [Match.object_like({"Name": "HUMANGOV_SECRET_KEY"})],
        })],
    })
    shared.resource_count_is("AWS::ECS::Service", 1)
    assets = (synthesised.outdir / "HumanGov-Shared.assets.json").read_text()
    assert '"dockerFile": "Dockerfile"' in assets


def test_the_load_balancer_serves_https_and_routes_one_host_per_state(shared):
    Match = _m()
    shared.has_resource_properties("AWS::ElasticLoadBalancingV2::Listener", {
        "Protocol": "HTTPS", "Port": 443, "Certificates": [Match.any_value()],
    })
    shared.has_resource_properties("AWS::ElasticLoadBalancingV2::Listener", {
        "Protocol": "HTTP", "Port": 80,
        "DefaultActions": [Match.object_like({"Type": "redirect"})],
    })
    for host in ("ca.humangov.example.gov", "tx.humangov.example.gov"):
        shared.has_resource_properties("AWS::ElasticLoadBalancingV2::ListenerRule", {
            "Conditions": [{"Field": "host-header", "HostHeaderConfig": {"Values": [host]}}],
        })
        shared.has_resource_properties("AWS::Route53::RecordSet", {"Name": f"{host}."})
    shared.has_resource_properties("AWS::ElasticLoadBalancingV2::TargetGroup", {
        "HealthCheckPath": "/healthz",
    })


def test_the_app_may_touch_only_state_tables_and_buckets_in_its_own_account(synthesised):
    statements = _statements(synthesised.template_json("HumanGov-Shared"), "AppTaskRole")
    text = str(statements)
    assert "table/humangov-*-records" in text and "s3:::humangov-*-documents" in text
    for statement in statements:
        assert statement["Resource"] != "*"
        assert not any(a in ("s3:*", "dynamodb:*") for a in _actions(statement))
        if any(a.startswith("s3:") for a in _actions(statement)):
            assert "s3:ResourceAccount" in statement["Condition"]["StringEquals"]
