"""What all states share: the alarm topic and its Slack delivery, the erasure ledger, the
canary artifacts bucket, the app on Fargate behind an HTTPS load balancer with one host name
per state, and the scheduled runs (orphan sweep, retention, erasure requests) as Fargate tasks."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from humangov_infra import packaging, scheduled, tables
from humangov_infra.alarms import notify
from humangov_infra.config import REPO, InfraConfig
from humangov_infra.nag import acknowledge, acknowledge_wildcards, logical_arn

APP_PORT = 8000
# humangov.aws.alarm_to_slack.SECRET_ID_ENV (restated so the CDK app imports nothing of ours).
SLACK_SECRET_ID_ENV = "HUMANGOV_SLACK_SECRET_ID"
LOG_RETENTION = logs.RetentionDays.THREE_MONTHS


def canary_artifacts_bucket(config: InfraConfig) -> str:
    return f"humangov-canary-artifacts-{Aws.ACCOUNT_ID}-{config.region}"


def shared_table_arn(config: InfraConfig, name: str) -> str:
    """A shared table's ARN built from its name: state stacks import no export for it."""
    return f"arn:{Aws.PARTITION}:dynamodb:{config.region}:{Aws.ACCOUNT_ID}:table/{name}"


def ledger_arn(config: InfraConfig) -> str:
    return shared_table_arn(config, config.ledger_table)


def secret_ref(scope: Construct, construct_id: str, name_or_arn: str) -> secretsmanager.ISecret:
    if name_or_arn.startswith("arn:"):
        return secretsmanager.Secret.from_secret_complete_arn(scope, construct_id, name_or_arn)
    return secretsmanager.Secret.from_secret_name_v2(scope, construct_id, name_or_arn)


def queue_alarm(scope: Construct, construct_id: str, name: str, queue: sqs.IQueue,
                description: str, topic: sns.ITopic) -> cloudwatch.Alarm:
    """Any message on a queue of failures is an alarm, and clears once the queue is empty."""
    return notify(cloudwatch.Alarm(
        scope, construct_id, alarm_name=name, alarm_description=description,
        metric=queue.metric_approximate_number_of_messages_visible(period=Duration.minutes(1)),
        threshold=0, comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=1, treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    ), topic)


def log_writer_role(scope: Construct, construct_id: str, log_group: logs.ILogGroup,
                    description: str) -> iam.Role:
    """A Lambda role that may write only its own log group (instead of the managed
    AWSLambdaBasicExecutionRole, which allows every log group in the account)."""
    role = iam.Role(scope, construct_id, description=description,
                    assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(
        actions=["logs:CreateLogStream", "logs:PutLogEvents"],
        resources=[log_group.log_group_arn, f"{log_group.log_group_arn}:log-stream:*"],
    ))
    acknowledge_wildcards(
        role, [f"{logical_arn(log_group)}:log-stream:*"],
        "Log streams are created at run time with generated names; the wildcard is confined "
        "to this function's own log group.")
    return role


class SharedStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: InfraConfig, **kw) -> None:
        super().__init__(scope, construct_id, **kw)
        self.config = config
        self._alarms()
        # The runtime's shared tables, keyed as humangov.adapters.aws.provision.shared_table_specs.
        # The ledger is the proof of erasure, the platform table holds the users: both, and
        # the dead letters awaiting an operator, outlive the stack.
        self.ledger = self._table("ErasureLedger", config.ledger_table,
                                  tables.LEDGER_INDEXES)
        self.platform = self._table("Platform", config.platform_table)
        self.dead_letters = self._table("ErasureDeadLetterTable", config.dead_letter_table)
        self.canary_artifacts = s3.Bucket(
            self, "CanaryArtifacts",
            # Named, so state stacks refer to it by name rather than by fifty exports.
            bucket_name=canary_artifacts_bucket(config),
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(31))],
        )
        acknowledge(self.canary_artifacts, [{
            "id": "AwsSolutions-S1",
            "reason": "Holds only canary screenshots and logs, expired after 31 days; access "
                      "logs for it would cost more than they tell.",
        }])
        self._slack_lambda()
        self._chatbot()
        self._app()

    def _table(self, construct_id: str, name: str, indexes=()) -> dynamodb.TableV2:
        return dynamodb.TableV2(
            self, construct_id,
            table_name=name,
            partition_key=tables.PK,
            sort_key=tables.SK,
            global_secondary_indexes=tables.indexes_v2(indexes) or None,
            billing=dynamodb.Billing.on_demand(),
            encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            removal_policy=RemovalPolicy.RETAIN,
        )

    # -- alarms -----------------------------------------------------------------------------

    def _alarms(self) -> None:
        key = kms.Key(self, "AlarmTopicKey", enable_key_rotation=True,
                      description="Encrypts the HumanGov alarm topic")
        # CloudWatch publishes alarms to the encrypted topic, so it needs the key:
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
        key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],  # in a key policy, "*" means this key
        ))
        self.alarm_topic = sns.Topic(self, "AlarmTopic", master_key=key, enforce_ssl=True,
                                     display_name="HumanGov alarms")

    def _slack_lambda(self) -> None:
        if not self.config.slack_lambda:
            return
        secret = secret_ref(self, "SlackWebhook", self.config.slack_webhook_secret)
        log_group = logs.LogGroup(self, "AlarmToSlackLogs", retention=LOG_RETENTION)
        role = log_writer_role(self, "AlarmToSlackRole", log_group,
                               "alarm_to_slack: read the webhook secret, write its logs")
        # The webhook URL is a credential: read at run time, never in the environment.
        secret.grant_read(role)
        # alarm_to_slack reads SECRET_ID_ENV and passes it to GetSecretValue as SecretId,
        # which takes a name or a complete ARN; the configured value is one of the two. (The
        # ARN of a secret imported by name lacks its random suffix, a partial ARN.)
        # https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
        function = lambda_.Function(
            self, "AlarmToSlack",
            runtime=packaging.RUNTIME,
            handler="humangov.aws.alarm_to_slack.handler",
            code=packaging.function_code(),
            layers=[packaging.dependencies_layer(self)],
            role=role,
            log_group=log_group,
            timeout=Duration.seconds(30),
            memory_size=256,
            environment={
                SLACK_SECRET_ID_ENV: self.config.slack_webhook_secret,
                "POWERTOOLS_SERVICE_NAME": "humangov-alarm-to-slack",
            },
        )
        self.alarm_topic.add_subscription(subscriptions.LambdaSubscription(function))
        # SNS invokes the function asynchronously: once Lambda's own retries are spent (Slack
        # down for more than about three minutes), the alarm lands on this queue rather than
        # vanishing. The queue's alarm shows in CloudWatch even while Slack is out.
        failed = sqs.Queue(self, "AlarmToSlackFailures", retention_period=Duration.days(14),
                           encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True)
        acknowledge(failed, [{
            "id": "AwsSolutions-SQS3",
            "reason": "This queue is itself the on-failure destination of alarm_to_slack.",
        }])
        function.configure_async_invoke(
            on_failure=destinations.SqsDestination(failed), retry_attempts=2,
            max_event_age=Duration.hours(6))
        queue_alarm(self, "AlarmToSlackFailuresAlarm", "humangov-alarm-to-slack-failed", failed,
                    "alarm_to_slack could not post alarms to Slack; they wait on its "
                    "failure queue (docs/aws.md, Alarms)", self.alarm_topic)
        acknowledge(function, [{
            "id": "AwsSolutions-L1",
            "reason": "Python 3.11 is the version the app and its Docker image are built and "
                      "tested on; the dependencies layer is built for it.",
        }])

    def _chatbot(self) -> None:
        if not self.config.chatbot:
            return
        chatbot.SlackChannelConfiguration(
            self, "SlackChannel",
            slack_channel_configuration_name=f"humangov-alarms-{Aws.REGION}",
            slack_workspace_id=self.config.chatbot_workspace_id,
            slack_channel_id=self.config.chatbot_channel_id,
            notification_topics=[self.alarm_topic],
            logging_level=chatbot.LoggingLevel.ERROR,
            # What people in the channel may do through Chatbot: read CloudWatch, no more.
            guardrail_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
                "CloudWatchReadOnlyAccess")],
        )

    # -- the app -----------------------------------------------------------------------------

    def _app(self) -> None:
        config = self.config
        vpc = ec2.Vpc(self, "Vpc", max_azs=2, nat_gateways=1,
                      flow_logs={"All": ec2.FlowLogOptions()})
        cluster = ecs.Cluster(self, "Cluster", vpc=vpc,
                              container_insights_v2=ecs.ContainerInsights.ENABLED)
        task_role = iam.Role(self, "AppTaskRole",
                             assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
                             description="humangov serve: its own tables and buckets only")
        self._grant_app_data(task_role)
        self.task_role = task_role

        secret_key = secretsmanager.Secret(
            self, "SessionSecret", description="Signs HumanGov session cookies",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                exclude_punctuation=True, password_length=64),
        )
        acknowledge(secret_key, [{
            "id": "AwsSolutions-SMG4",
            "reason": "Rotating the cookie-signing key logs every user out; it is rotated by "
                      "redeploying with a new secret version, on the operators' schedule.",
        }])
        app_logs = logs.LogGroup(self, "AppLogs", retention=LOG_RETENTION)
        task = ecs.FargateTaskDefinition(self, "Task", cpu=512, memory_limit_mib=1024,
                                         task_role=task_role)
        task.add_container(
            "app",
            image=ecs.ContainerImage.from_asset(str(REPO), file="Dockerfile"),
            port_mappings=[ecs.PortMapping(container_port=APP_PORT)],
            logging=ecs.LogDriver.aws_logs(
                stream_prefix="humangov",
                log_group=app_logs),
            environment={
                "HUMANGOV_BACKEND": "aws",
                "HUMANGOV_ENVIRONMENT": "production",
                # Only the load balancer (inside the VPC) may say who the client is.
                "HUMANGOV_FORWARDED_ALLOW_IPS": vpc.vpc_cidr_block,
                "HUMANGOV_MONITORING": "false",  # Synthetics canaries monitor on AWS
                # The sweep, the retention run and the request check are scheduled tasks
                # (humangov_infra.scheduled), not run once per serving task.
                scheduled.SWEEP_SCHEDULE_ENV: "off",
                scheduled.RETENTION_SCHEDULE_ENV: "off",
                scheduled.REQUESTS_SCHEDULE_ENV: "off",
                scheduled.RETENTION_LATE_DAYS_ENV: str(config.retention_late_days),
                "HUMANGOV_AWS_REGION": Aws.REGION,
                "HUMANGOV_AWS_TABLE_PATTERN": config.table_pattern,
                "HUMANGOV_AWS_BUCKET_PATTERN": config.bucket_pattern,
                "HUMANGOV_AWS_LEDGER_TABLE": config.ledger_table,
                "HUMANGOV_AWS_PLATFORM_TABLE": config.platform_table,
                "HUMANGOV_AWS_DEAD_LETTER_TABLE": config.dead_letter_table,
                "HUMANGOV_BASE_URL": f"https://{config.domain}",
                "HUMANGOV_CANARY_EMAILS": config.canary_emails(),
            },
            secrets={"HUMANGOV_SECRET_KEY": ecs.Secret.from_secrets_manager(secret_key)},
        )
        acknowledge(task, [{
            "id": "AwsSolutions-ECS2",
            "reason": "The environment holds only non-secret settings (backend, names, "
                      "region); the secret key comes from Secrets Manager.",
        }, {
            "id": "AwsSolutions-IAM5[Resource::*]",
            "reason": "ecr:GetAuthorizationToken, which has no resource-level permissions, so "
                      "the execution role can pull the app image from the CDK asset repository.",
        }])

        service = ecs.FargateService(
            self, "Service", cluster=cluster, task_definition=task, desired_count=2,
            min_healthy_percent=100, circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        )
        self._load_balancer(vpc, service)
        for run in scheduled.ALL:
            scheduled.schedule(self, run, cluster, task, app_logs, self.alarm_topic)
        scheduled.acknowledge_events_role(self, cluster, task, config.region)

    def _grant_app_data(self, role: iam.Role) -> None:
        """The app reaches only tables and buckets named by the configured patterns, in this
        account and region. Per-state ARNs would be tighter, but fifty states' ARNs overflow
        the 10,240-character limit on a role's policies; the name pattern is the boundary.

        The actions are the boto3 calls of humangov.adapters.*.dynamodb / blobs.s3 on the
        `serve` path, which also runs the scheduled sweep and retries dead letters through
        the same `erase` as the Lambda. TransactWriteItems is authorised per item by the
        action of each item (all ours are Puts):
        https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
        """
        config = self.config
        table = config.table_pattern.format(state="*")
        bucket = config.bucket_pattern.format(state="*")
        table_arn = f"arn:{Aws.PARTITION}:dynamodb:{config.region}:{Aws.ACCOUNT_ID}:table/{table}"
        role.add_to_policy(iam.PolicyStatement(
            sid="StateTables",
            actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                     "dynamodb:DeleteItem", "dynamodb:Query",
                     "dynamodb:Scan",  # states remove: every item of the state
                     "dynamodb:BatchWriteItem",  # history and state removal, 25 at a time
                     "dynamodb:BatchGetItem",  # a search page's employees, by key
                     # `states add` finds the CDK-made table and leaves it as it is
                     "dynamodb:DescribeTable"],
            resources=[table_arn, f"{table_arn}/index/*"],
        ))
        # At start-up the runtime describes the shared tables (creating them when missing,
        # which under CDK they never are: it has no CreateTable).
        role.add_to_policy(iam.PolicyStatement(
            sid="Platform",  # states registry, users, tokens, legal holds (released: Update)
            actions=["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem",
                     "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"],
            resources=[self.platform.table_arn],
        ))
        role.add_to_policy(iam.PolicyStatement(
            sid="Ledger",  # receipts of the sweep and retries, sweep runs, compliance report
            actions=["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem",
                     "dynamodb:Query"],
            resources=[self.ledger.table_arn,
                       f"{self.ledger.table_arn}/index/{tables.LEDGER_BY_STATE}"],
        ))
        role.add_to_policy(iam.PolicyStatement(
            sid="DeadLetters",  # list, claim, retry, park
            actions=["dynamodb:DescribeTable", "dynamodb:Query", "dynamodb:PutItem",
                     "dynamodb:UpdateItem"],
            resources=[self.dead_letters.table_arn],
        ))
        bucket_arn = f"arn:{Aws.PARTITION}:s3:::{bucket}"
        # Bucket ARNs carry no account: pin the account so a same-named bucket elsewhere
        # is never reachable.
        own_account = {"StringEquals": {"s3:ResourceAccount": Aws.ACCOUNT_ID}}
        role.add_to_policy(iam.PolicyStatement(
            sid="StateDocuments",  # upload (multipart too), download, erase every version
            actions=["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload",
                     "s3:DeleteObject", "s3:DeleteObjectVersion",
                     # a legal hold sets and lifts Object Lock legal holds on its documents
                     "s3:PutObjectLegalHold", "s3:GetObjectLegalHold"],
            resources=[f"{bucket_arn}/*"], conditions=own_account,
        ))
        role.add_to_policy(iam.PolicyStatement(
            # The sweep lists every version in order; erasure lists a key's versions;
            # `states add` heads the bucket; and without ListBucket a HeadObject of a missing
            # key is a 403, not the 404 the runtime reads as "absent":
            # https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
            # GetBucketTagging reads the bucket's identity tag (humangov:state), without which
            # erasure, the sweep and uploads refuse the bucket.
            sid="ListStateDocuments",
            actions=["s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketTagging",
                     "s3:GetBucketObjectLockConfiguration"],  # does a hold lock objects?
            resources=[bucket_arn], conditions=own_account,
        ))
        printed_table = (f"arn:<AWS::Partition>:dynamodb:{self.config.region}:<AWS::AccountId>"
                         f":table/{table}")
        printed_bucket = f"arn:<AWS::Partition>:s3:::{bucket}"
        acknowledge_wildcards(
            role,
            [printed_table, f"{printed_table}/index/*", printed_bucket, f"{printed_bucket}/*"],
            "The wildcard stands only for the state code in the configured table and bucket "
            "names (and their indexes and objects), pinned to this account and region.")

    def _load_balancer(self, vpc: ec2.IVpc, service: ecs.FargateService) -> None:
        config = self.config
        alb = elbv2.ApplicationLoadBalancer(self, "Alb", vpc=vpc, internet_facing=True,
                                            drop_invalid_header_fields=True)
        logs_bucket = s3.Bucket(
            self, "AlbAccessLogs", encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
        )
        acknowledge(logs_bucket, [{
            "id": "AwsSolutions-S1",
            "reason": "This is the access-log bucket; logging it to itself would loop.",
        }])
        alb.log_access_logs(logs_bucket, prefix="alb")
        acknowledge(alb, [{
            "id": "AwsSolutions-EC23",
            "reason": "The public web entry point: HTTPS (and a redirect on HTTP) from anywhere.",
        }])

        zone = None
        if config.hosted_zone_id:
            zone = route53.HostedZone.from_hosted_zone_attributes(
                self, "Zone", hosted_zone_id=config.hosted_zone_id, zone_name=config.domain)
        if config.certificate_arn:
            certificate = acm.Certificate.from_certificate_arn(self, "Certificate",
                                                               config.certificate_arn)
        else:
            certificate = acm.Certificate(
                self, "Certificate", domain_name=f"*.{config.domain}",
                subject_alternative_names=[config.domain],
                validation=acm.CertificateValidation.from_dns(zone),
            )
        https = alb.add_listener(
            "Https", port=443, certificates=[certificate],
            ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS, open=True,
            default_action=elbv2.ListenerAction.fixed_response(
                404, content_type="text/plain", message_body="Unknown host; use <state>.domain"),
        )
        alb.add_redirect(source_port=80, target_port=443)
        group = elbv2.ApplicationTargetGroup(
            self, "AppTargets", vpc=vpc, port=APP_PORT, protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[service],
            health_check=elbv2.HealthCheck(path="/healthz", healthy_http_codes="200"),
            deregistration_delay=Duration.seconds(30),
        )
        # One host name per state, as the first operators ran it; all reach the same service.
        for priority, state in enumerate(config.states, start=1):
            elbv2.ApplicationListenerRule(
                self, f"Host{state}", listener=https, priority=priority,
                conditions=[elbv2.ListenerCondition.host_headers([config.host_name(state)])],
                action=elbv2.ListenerAction.forward([group]),
            )
            if zone is not None:
                route53.ARecord(self, f"Dns{state}", zone=zone,
                                record_name=config.host_name(state),
                                target=route53.RecordTarget.from_alias(
                                    targets.LoadBalancerTarget(alb)))
