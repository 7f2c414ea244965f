"""One state's stack: its records table, documents bucket, erasure Lambda on the table's
stream with a dead-letter queue, its Synthetics canary with an alarm, and its entry in the
app's states registry."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_synthetics as synthetics
from constructs import Construct

from humangov.aws.stream_filter import LEGACY_ITEM_FILTERS, OWN_ITEM_FILTERS
from humangov_infra import canary, packaging, registry, tables
from humangov_infra.canary import HANDLER_MODULE
from humangov_infra.config import InfraConfig
from humangov_infra.nag import acknowledge, logical_arn
from humangov_infra.shared import (
    LOG_RETENTION,
    SharedStack,
    canary_artifacts_bucket,
    ledger_arn,
    log_writer_role,
    notify,
    queue_alarm,
    secret_ref,
    shared_table_arn,
)

# Event source mapping bounds: a poison record is retried a few times (halving the batch each
# time to isolate it), then parked on the DLQ rather than blocking its shard for the stream's
# 24 h retention. https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#services-ddb-errors
RETRY_ATTEMPTS = 5
MAX_RECORD_AGE = Duration.hours(6)
BATCH_SIZE = 100
HANDLER_MAX_ATTEMPTS = RETRY_ATTEMPTS - 1
# SQS's maximum: time for `humangov erasure import-queue`, which needs the stream (24 h) to
# still hold the records; kept when the stack is deleted (RETAIN), like the tables.
DLQ_RETENTION = Duration.days(14)
# Concurrent batches per shard (the maximum). Records of one item (one partition key) still
# go to the same batch sequence, in order, so an employee's REMOVE never overtakes the
# MODIFY before it; shards are split by DynamoDB, so this is the only lever on a backlog.
# https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#services-ddb-params
PARALLELIZATION_FACTOR = 10
# The oldest record waiting: an hour behind means a backlog (or a stuck batch) long before
# MAX_RECORD_AGE (6 h) parks records on the DLQ or the stream's 24 h retention drops them,
# leaving five hours to act.
ITERATOR_AGE_ALARM = Duration.hours(1)


def stream_source(table: dynamodb.ITable, dlq: sqs.IQueue,
                  patterns: list[dict]) -> sources.DynamoEventSource:
    """The erasure function's mapping on a table's stream: bisect, bounded retries, DLQ,
    parallel batches per shard, only the records `patterns` match."""
    return sources.DynamoEventSource(
        table,
        starting_position=lambda_.StartingPosition.TRIM_HORIZON,
        batch_size=BATCH_SIZE,
        bisect_batch_on_error=True,
        retry_attempts=RETRY_ATTEMPTS,
        max_record_age=MAX_RECORD_AGE,
        report_batch_item_failures=True,
        on_failure=sources.SqsDlq(dlq),
        parallelization_factor=PARALLELIZATION_FACTOR,
        filters=[lambda_.FilterCriteria.filter(pattern) for pattern in patterns],
    )


class StateStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, state: str, config: InfraConfig,
                 shared: SharedStack, canary_asset: Path, registered_at: datetime, **kw) -> None:
        super().__init__(scope, construct_id, **kw)
        self.state = state
        self.table = dynamodb.Table(
            self, "Records",
            table_name=config.table_name(state),
            partition_key=tables.PK,
            sort_key=tables.SK,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            # humangov.adapters.aws.provision.records_table_spec: the same keys and indexes.
            time_to_live_attribute=tables.TTL_ATTRIBUTE,
            removal_policy=RemovalPolicy.RETAIN,
        )
        tables.add_records_indexes(self.table)
        self.bucket = self._bucket(config)
        self._erasure(config, shared)
        self._canary(config, shared, canary_asset)
        self._register(config, registered_at)

    def _bucket(self, config: InfraConfig) -> s3.Bucket:
        bucket = s3.Bucket(
            self, "Documents",
            bucket_name=config.bucket_name(self.state),
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            # Object Lock makes versions undeletable until their retention ends, which
            # would turn erasures into failures; see docs/aws.md before enabling it.
            object_lock_enabled=config.object_lock or None,
            lifecycle_rules=[s3.LifecycleRule(
                id="expire-noncurrent",
                # A safety net only: the erasure Lambda deletes every version at once.
                noncurrent_version_expiration=Duration.days(1),
                expired_object_delete_marker=True,
                abort_incomplete_multipart_upload_after=Duration.days(1),
            )],
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(bucket, [{
            "id": "AwsSolutions-S1",
            "reason": "The erasure ledger is the audit trail for document deletions; server "
                      "access logs would need a log bucket per state (a cross-stack bucket "
                      "policy would make the shared stack depend on all fifty).",
        }])
        return bucket

    def _erasure(self, config: InfraConfig, shared: SharedStack) -> None:
        dlq = sqs.Queue(self, "ErasureDeadLetters", retention_period=DLQ_RETENTION,
                        encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
                        removal_policy=RemovalPolicy.RETAIN)
        acknowledge(dlq, [{
            "id": "AwsSolutions-SQS3",
            "reason": "This queue is itself the erasure dead-letter destination.",
        }])
        log_group = logs.LogGroup(self, "ErasureLogs", retention=LOG_RETENTION)
        role = log_writer_role(self, "ErasureRole", log_group,
                               f"{self.state} erasure: read its stream and records, erase in its "
                               f"bucket, write the ledger")
        # Exactly the boto3 calls of stream_cleanup's path (erase() over S3BlobStore,
        # DynamoDBRecordStore.is_referenced and DynamoDBLedger), on this state's resources.
        #
        # Never erase a key a live record still references: right before each delete,
        # is_referenced reads the owner item (a strongly consistent GetItem) and, for keys
        # laid out otherwise, queries the by_doc index. Reads only, and only this state's.
        role.add_to_policy(iam.PolicyStatement(
            sid="CheckReferences", actions=["dynamodb:GetItem", "dynamodb:Query"],
            resources=[self.table.table_arn, f"{self.table.table_arn}/index/{tables.BY_DOC}"]))
        # The receipt's size and sha256 when the record lacked them: HeadObject, GetObject.
        role.add_to_policy(iam.PolicyStatement(
            sid="FingerprintDocuments", actions=["s3:GetObject"],
            resources=[self.bucket.arn_for_objects("*")]))
        # Delete every version and delete marker of a key (S3 keeps them in a versioned
        # bucket): ListObjectVersions finds them, DeleteObjects with version ids removes them.
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html
        # ListBucket makes HeadObject of an already-erased key a 404 ("already-absent")
        # rather than a 403: https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
        # "Already absent" also needs the bucket's identity tag (humangov:state, from the tags
        # of this stack), read with GetBucketTagging.
        role.add_to_policy(iam.PolicyStatement(
            sid="FindVersions",
            actions=["s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketTagging"],
            resources=[self.bucket.bucket_arn]))
        role.add_to_policy(iam.PolicyStatement(
            sid="EraseDocuments", actions=["s3:DeleteObject", "s3:DeleteObjectVersion"],
            resources=[self.bucket.arn_for_objects("*")]))
        # Receipts: GetItem skips keys already receipted for the change (ledger.has), and
        # PutItem with attribute_not_exists(pk) makes a redelivered record write no second one.
        role.add_to_policy(iam.PolicyStatement(
            sid="Receipts", actions=["dynamodb:GetItem", "dynamodb:PutItem"],
            resources=[ledger_arn(config)]))
        # Final failures: the attempts of a failing record are counted (UpdateItem ADD), and
        # at the limit it becomes a dead letter (TransactWriteItems of Puts, authorised as
        # PutItem) and its count is dropped (DeleteItem): stream_cleanup's dead-letter path.
        role.add_to_policy(iam.PolicyStatement(
            sid="DeadLetters",
            actions=["dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
            resources=[shared_table_arn(config, config.dead_letter_table)]))
        # Legal holds: before an erasure the state's holds are read (a Query of the platform
        # table's HOLD partition alone), and a version S3 refused to erase is asked whether a
        # legal hold keeps it (then the erasure waits as held instead of failing).
        role.add_to_policy(iam.PolicyStatement(
            sid="LegalHolds", actions=["dynamodb:Query"],
            resources=[shared_table_arn(config, config.platform_table)],
            conditions={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["HOLD"]}}))
        role.add_to_policy(iam.PolicyStatement(
            sid="ReadLegalHolds", actions=["s3:GetObjectLegalHold"],
            resources=[self.bucket.arn_for_objects("*")]))
        function = lambda_.Function(
            self, "Erasure",
            runtime=packaging.RUNTIME,
            handler="humangov.aws.stream_cleanup.handler",
            code=packaging.function_code(),
            layers=[packaging.dependencies_layer(self)],
            role=role,
            log_group=log_group,
            timeout=Duration.seconds(60),
            memory_size=256,
            environment={
                "HUMANGOV_BACKEND": "aws",
                "HUMANGOV_ENVIRONMENT": "production",
                "HUMANGOV_AWS_TABLE_PATTERN": config.table_pattern,
                "HUMANGOV_AWS_BUCKET_PATTERN": config.bucket_pattern,
                "HUMANGOV_AWS_LEDGER_TABLE": config.ledger_table,
                "HUMANGOV_AWS_DEAD_LETTER_TABLE": config.dead_letter_table,
                "HUMANGOV_AWS_PLATFORM_TABLE": config.platform_table,  # its legal holds
                # Below the mapping's 1 + RETRY_ATTEMPTS deliveries, so the handler parks a
                # failing record itself; the deliveries left cover runs that never got to
                # count (a timeout, a crash), which the on-failure queue then catches.
                "HUMANGOV_ERASURE_MAX_ATTEMPTS": str(HANDLER_MAX_ATTEMPTS),
                # Lambda's own AWS_REGION would do; stated so both entry points read the same.
                "HUMANGOV_AWS_REGION": config.region,
                "POWERTOOLS_SERVICE_NAME": "humangov-erasure",
            },
        )
        # The mapping's own grants: the stream read actions on this table's stream, and
        # SendMessage on the DLQ. ListStreams has no resource-level permissions (hence "*").
        function.add_event_source(stream_source(self.table, dlq, OWN_ITEM_FILTERS))
        legacy = config.legacy.get(self.state)
        if legacy is not None:
            self._legacy(function, role, dlq, legacy)
        acknowledge(function, [{
            "id": "AwsSolutions-L1",
            "reason": "Python 3.11 is the version the app is built and tested on; the "
                      "dependencies layer is built for it.",
        }])
        acknowledge(role, [{
            "id": f"AwsSolutions-IAM5[Resource::{logical_arn(self.bucket)}/*]",
            "reason": "Objects of this state's bucket only: keys are per document, unknown "
                      "until a record is deleted.",
        }, {
            "id": "AwsSolutions-IAM5[Resource::*]",
            "reason": "dynamodb:ListStreams, added by the event source mapping, supports no "
                      "resource-level permissions; the other stream actions name this stream.",
        }])
        queue_alarm(self, "ErasureDeadLettersAlarm", f"humangov-{self.state}-erasure-dlq", dlq,
                    f"{self.state}: erasures failed and were parked on the DLQ",
                    shared.alarm_topic)
        self._pipeline_alarms(function, shared)

    def _pipeline_alarms(self, function: lambda_.Function, shared: SharedStack) -> None:
        """The erasure function falling behind, failing or throttled, each into the topic.
        Named humangov-<state>-...: alarm_to_slack reads the state from the name."""
        above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
        five_minutes = Duration.minutes(5)
        for construct_id, name, metric, threshold, description in (
            ("ErasureIteratorAgeAlarm", "iterator-age",
             function.metric("IteratorAge", statistic="Maximum", period=five_minutes),
             ITERATOR_AGE_ALARM.to_milliseconds(),
             "erasures are more than an hour behind the stream (records are parked after 6 h)"),
            ("ErasureErrorsAlarm", "errors", function.metric_errors(period=five_minutes), 0,
             "the erasure function failed (batches are retried, then parked on the DLQ)"),
            ("ErasureThrottlesAlarm", "throttles",
             function.metric_throttles(period=five_minutes), 0,
             "the erasure function was throttled (account concurrency exhausted)"),
            # stream_cleanup writes this (embedded metric format) once per new dead letter:
            # a parked record is reported done, so no Lambda metric shows it.
            ("ErasureDeadLetterTableAlarm", "dead-letters",
             cloudwatch.Metric(namespace="HumanGov", metric_name="ErasureDeadLetters",
                               dimensions_map={"State": self.state}, statistic="Sum",
                               period=Duration.minutes(1)), 0,
             "an erasure failed for good and is a dead letter: see `humangov erasure "
             "dead-letters` (docs/aws.md, a failed erasure on AWS)"),
        ):
            notify(cloudwatch.Alarm(
                self, construct_id, alarm_name=f"humangov-{self.state}-erasure-{name}",
                metric=metric, threshold=threshold,
                comparison_operator=above, evaluation_periods=1,
                # No invocations means no datapoints: nothing is wrong.
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=f"{self.state}: {description}",
            ), shared.alarm_topic)

    def _legacy(self, function: lambda_.Function, role: iam.Role, dlq: sqs.IQueue,
                legacy: dict[str, str]) -> None:
        """The earlier application's table and bucket, imported by name (never created,
        changed or replaced here: they stay that application's): its stream on the same
        function, and the calls stream_cleanup makes for it (docs/aws.md, "Stopping the
        bleeding")."""
        # CDK cannot read an imported table's stream ARN; the context gives it (the stream
        # must already be on, NEW_AND_OLD_IMAGES).
        table = dynamodb.Table.from_table_attributes(
            self, "EarlierRecords", table_name=legacy["table"],
            table_stream_arn=legacy["stream_arn"])
        bucket = s3.Bucket.from_bucket_name(self, "EarlierDocuments", legacy["bucket"])
        function.add_environment("HUMANGOV_AWS_LEGACY", json.dumps(
            {self.state: {"table": legacy["table"], "bucket": legacy["bucket"]}}))
        function.add_event_source(stream_source(table, dlq, LEGACY_ITEM_FILTERS))
        # A deleted record put back before its REMOVE is handled keeps its file.
        role.add_to_policy(iam.PolicyStatement(
            sid="CheckEarlierReferences", actions=["dynamodb:GetItem"],
            resources=[table.table_arn]))
        role.add_to_policy(iam.PolicyStatement(
            sid="EraseEarlierDocuments",
            actions=["s3:GetObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
            resources=[bucket.arn_for_objects("*")]))
        # GetBucketTagging: nothing is erased before the bucket shows humangov:legacy-state.
        role.add_to_policy(iam.PolicyStatement(
            sid="FindEarlierVersions",
            actions=["s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketTagging"],
            resources=[bucket.bucket_arn]))
        acknowledge(role, [{
            "id": f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{legacy['bucket']}/*]",
            "reason": "Objects of the earlier application's bucket of this state: their keys "
                      "are known only when a record is deleted or edited.",
        }])

    def _register(self, config: InfraConfig, registered_at: datetime) -> None:
        # After the table and bucket: CloudFormation creates the registration once they exist,
        # so the app never lists a state whose storage is not there yet.
        log_group = logs.LogGroup(self, "RegistrationLogs", retention=LOG_RETENTION)
        role = log_writer_role(self, "RegistrationRole", log_group,
                               f"{self.state}: put its entry in the states registry")
        registration = registry.register_state(
            self, "Registration", state=self.state, config=config, role=role,
            log_group=log_group, created_at=registered_at)
        registration.node.add_dependency(self.table, self.bucket)

    def _canary(self, config: InfraConfig, shared: SharedStack, asset: Path) -> None:
        """Two canaries from one check file and one asset: HTTP checks (heartbeat, lifecycle)
        every minute on the Python runtime, and the browser checks on the Node.js Playwright
        runtime (the local browser check is Playwright too, so its steps map one to one) at
        their own, slower interval: a Chromium run costs far more Lambda time than a GET, and
        a broken UI alarms apart from a site that is down."""
        host = config.host_name(self.state)
        site = {"HUMANGOV_BASE_URL": f"https://{host}", "HUMANGOV_STATE": self.state}
        environment = dict(site)
        artifacts = s3.Bucket.from_bucket_name(self, "CanaryArtifacts",
                                               canary_artifacts_bucket(config))
        token = None
        if config.canary_token_secret:
            token = secret_ref(self, "CanaryToken", config.canary_token_secret)
            environment["HUMANGOV_CANARY_TOKEN_SECRET"] = token.secret_arn

        def canary_of(construct_id: str, prefix: str, runtime: synthetics.Runtime, handler: str,
                      rate: Duration, timeout: Duration, env: dict[str, str]) -> synthetics.Canary:
            name = f"humangov-{prefix}"
            made = synthetics.Canary(
                self, construct_id,
                canary_name=name,
                runtime=runtime,
                test=synthetics.Test.custom(code=synthetics.Code.from_asset(str(asset)),
                                            handler=f"{handler}.handler"),
                schedule=synthetics.Schedule.rate(rate),
                environment_variables=env,
                artifacts_bucket_location=synthetics.ArtifactsBucketLocation(
                    bucket=artifacts, prefix=prefix),
                timeout=timeout,
                success_retention_period=Duration.days(7),
                failure_retention_period=Duration.days(31),
            )
            printed_bucket = (f"arn:<AWS::Partition>:s3:::humangov-canary-artifacts-"
                              f"<AWS::AccountId>-{config.region}")
            acknowledge(made, [{
                "id": f"AwsSolutions-IAM5[Resource::{printed_bucket}/{prefix}/*]",
                "reason": "The canary writes screenshots and logs under its own prefix of the "
                          "artifacts bucket, with generated names.",
            }, {
                "id": "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:"
                      f"{config.region}:<AWS::AccountId>:log-group:/aws/lambda/cwsyn-*]",
                "reason": "Synthetics creates the canary's log group with a generated suffix "
                          "(cwsyn-<name>-<id>); CDK's canary role scopes logs to that prefix.",
            }, {
                "id": "AwsSolutions-IAM5[Resource::*]",
                "reason": "s3:ListAllMyBuckets and cloudwatch:PutMetricData (limited by a "
                          "namespace condition) have no resource-level permissions.",
            }])
            alarm = cloudwatch.Alarm(
                self, f"{construct_id}Alarm",
                alarm_description=f"{self.state}: the canary {name} fails at https://{host}",
                metric=made.metric_success_percent(period=rate),
                threshold=100,
                comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                evaluation_periods=config.canary_alarm_periods,
                datapoints_to_alarm=config.canary_alarm_datapoints,
                # A canary that stopped running is as bad as one that fails.
                treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            )
            alarm.add_alarm_action(cw_actions.SnsAction(shared.alarm_topic))
            alarm.add_ok_action(cw_actions.SnsAction(shared.alarm_topic))
            return made

        http = canary_of("Canary", self.state.lower(),
                         synthetics.Runtime.SYNTHETICS_PYTHON_SELENIUM_7_0, HANDLER_MODULE,
                         Duration.minutes(config.canary_minutes(self.state)),
                         Duration.seconds(55), environment)
        if token is not None:
            token.grant_read(http.role)
        browser = canary.browser_checks(canary.load(config.canary_checks))
        if not (browser and config.canary_login_secret):
            return
        rate, timeout = canary.browser_timing(browser)
        login = secret_ref(self, "CanaryLogin",
                           config.canary_login_secret.format(state=self.state.lower()))
        web = canary_of("BrowserCanary", f"{self.state.lower()}-web",
                        synthetics.Runtime.SYNTHETICS_NODEJS_PLAYWRIGHT_6_0,
                        canary.BROWSER_HANDLER_MODULE, Duration.seconds(rate),
                        Duration.seconds(timeout),
                        dict(site, HUMANGOV_CANARY_LOGIN_SECRET=login.secret_arn))
        login.grant_read(web.role)
