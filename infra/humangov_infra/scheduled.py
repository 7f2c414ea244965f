"""Commands run on a schedule as one Fargate task of the app's own task definition, rather than
inside each serving task (which would do the work, and raise its alarms, once per task): the
orphan sweep, the retention run and the erasure request check. Each prints one JSON summary
line; metric filters on the app's log group turn it into metrics, alarmed on the one alarm
topic (and so in Slack) when the run failed, when it found something, and when no run
reported."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as event_targets
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns

from humangov_infra.alarms import notify
from humangov_infra.nag import acknowledge

METRICS_NAMESPACE = "HumanGov"
# The runtime's names, restated so the CDK app imports nothing of ours (tests/infra checks
# they agree): Settings.sweep_schedule / requests_schedule / retention_schedule and
# retention_late_days, and the summary lines' markers in humangov.cli.
SWEEP_SCHEDULE_ENV = "HUMANGOV_SWEEP_SCHEDULE"
REQUESTS_SCHEDULE_ENV = "HUMANGOV_REQUESTS_SCHEDULE"
RETENTION_SCHEDULE_ENV = "HUMANGOV_RETENTION_SCHEDULE"
RETENTION_LATE_DAYS_ENV = "HUMANGOV_RETENTION_LATE_DAYS"
SWEEP_EVENT = "humangov-orphan-sweep"
RETENTION_EVENT = "humangov-retention-run"
REQUESTS_EVENT = "humangov-requests-check"
SWEEP_COMMAND = ["humangov", "orphans", "daily"]
RETENTION_COMMAND = ["humangov", "retention", "daily"]
REQUESTS_COMMAND = ["humangov", "requests", "check", "--format", "json"]


@dataclass(frozen=True)
class Finding:
    """A count in the summary line that is alarmed above zero."""

    field: str  # the summary line's key
    name: str  # the metric is <prefix><name>; the alarm's construct id is <alarm_id>
    alarm_id: str
    alarm_name: str
    description: str
    # A condition every run restates (items late, requests overdue): the alarm keeps its
    # state between runs instead of clearing an hour later and raising again the next day.
    lasting: bool = False


@dataclass(frozen=True)
class Scheduled:
    rule_id: str
    description: str
    schedule: events.Schedule
    command: list[str]
    event: str
    prefix: str  # of metric names and construct ids, e.g. Sweep: SweepRuns, SweepFailedAlarm
    alarm_prefix: str  # e.g. humangov-sweep: humangov-sweep-failed, humangov-sweep-missing
    failed: str  # the failure alarm's description
    missing_hours: int  # no summary line for this many hours alarms
    missing: str  # that alarm's description
    findings: tuple[Finding, ...]


SWEEP = Scheduled(
    rule_id="DailySweep", description="humangov orphans daily: one task a day",
    schedule=events.Schedule.cron(minute="0", hour="7"),  # 02:00/03:00 US Eastern
    command=SWEEP_COMMAND, event=SWEEP_EVENT, prefix="Sweep", alarm_prefix="humangov-sweep",
    failed="The daily orphan sweep failed for a state (see the app logs)",
    # A day and a start that failed, with two hours of slack for a slow sweep.
    missing_hours=26, missing="No orphan sweep reported in 26 hours",
    findings=(Finding("orphans", "Orphans", "SweepFoundOrphansAlarm",
                      "humangov-sweep-found-orphans",
                      "The daily sweep found (and erased) orphaned files: the erasure "
                      "pipeline missed them"),),
)
RETENTION = Scheduled(
    rule_id="DailyRetention", description="humangov retention daily: one task a day",
    schedule=events.Schedule.cron(minute="0", hour="6"),  # an hour before the sweep
    command=RETENTION_COMMAND, event=RETENTION_EVENT, prefix="Retention",
    alarm_prefix="humangov-retention",
    failed="The daily retention run failed for a state (see the app logs)",
    missing_hours=26, missing="No retention run reported in 26 hours",
    findings=(Finding("late", "Late", "RetentionLateAlarm", "humangov-retention-late",
                      "Records or documents are still kept more than retention_late_days past "
                      "their retention date, and no legal hold keeps them (the app logs name "
                      "them; so does the compliance report)", lasting=True),),
)
REQUESTS = Scheduled(
    # Hourly, as `serve` checks: a request closes (with its proof) within the hour of its
    # last receipt, not the next day.
    rule_id="HourlyRequestCheck", description="humangov requests check: one task an hour",
    schedule=events.Schedule.cron(minute="30"),
    command=REQUESTS_COMMAND, event=REQUESTS_EVENT, prefix="Requests",
    alarm_prefix="humangov-requests",
    failed="The erasure request check failed for a state (see the app logs)",
    missing_hours=3, missing="No erasure request check reported in 3 hours",
    findings=(Finding("overdue", "Overdue", "RequestsOverdueAlarm", "humangov-requests-overdue",
                      "Erasure requests are past their due date and not done (humangov "
                      "requests list, or the compliance report)", lasting=True),),
)
ALL = (SWEEP, RETENTION, REQUESTS)


def schedule(stack: Stack, run: Scheduled, cluster: ecs.ICluster,
             task: ecs.FargateTaskDefinition, app_logs: logs.ILogGroup,
             topic: sns.ITopic) -> None:
    """One rule starting one task (retrying a failed start twice within the hour), the
    summary line's metrics, and their alarms."""
    events.Rule(
        stack, run.rule_id, description=run.description, schedule=run.schedule,
        targets=[event_targets.EcsTask(
            cluster=cluster, task_definition=task, task_count=1,
            subnet_selection=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            container_overrides=[event_targets.ContainerOverride(
                container_name="app", command=run.command)],
            retry_attempts=2, max_event_age=Duration.hours(1),
        )],
    )
    line = logs.FilterPattern.string_value("$.event", "=", run.event)

    def metric(name: str, value: str) -> cloudwatch.Metric:
        return logs.MetricFilter(
            stack, f"{run.prefix}{name}Filter", log_group=app_logs, filter_pattern=line,
            metric_namespace=METRICS_NAMESPACE, metric_name=f"{run.prefix}{name}",
            metric_value=value,
        ).metric(statistic="Sum", period=Duration.hours(1))

    runs, failures = metric("Runs", "1"), metric("Failures", "$.failed")
    _above_zero(stack, f"{run.prefix}FailedAlarm", f"{run.alarm_prefix}-failed", failures,
                run.failed, cloudwatch.TreatMissingData.NOT_BREACHING, topic)
    for finding in run.findings:
        kept = (cloudwatch.TreatMissingData.IGNORE if finding.lasting
                else cloudwatch.TreatMissingData.NOT_BREACHING)
        _above_zero(stack, finding.alarm_id, finding.alarm_name,
                    metric(finding.name, f"$.{finding.field}"), finding.description, kept, topic)
    # Missing data is breaching: the task did not start, crashed before its summary, or the
    # rule is disabled. (CloudWatch allows up to 7 days of hourly periods.)
    notify(cloudwatch.Alarm(
        stack, f"{run.prefix}MissingAlarm", alarm_name=f"{run.alarm_prefix}-missing",
        metric=runs, threshold=1,
        comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluation_periods=run.missing_hours, datapoints_to_alarm=run.missing_hours,
        treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        alarm_description=run.missing,
    ), topic)


def acknowledge_events_role(stack: Stack, cluster: ecs.ICluster,
                            task: ecs.FargateTaskDefinition, region: str) -> None:
    """The rules share one role (CDK's per-task-definition EventsRole)."""
    cluster_id = stack.resolve(stack.get_logical_id(cluster.node.default_child))
    acknowledge(task.node.find_child("EventsRole"), [{
        "id": f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:{region}:*"
              f":task/<{cluster_id}>/*]",
        "reason": "EventBridge tags the scheduled tasks it starts (ecs:TagResource); task ids "
                  "are generated, the wildcard is confined to this cluster's tasks.",
    }])


def _above_zero(stack: Stack, construct_id: str, name: str, metric: cloudwatch.Metric,
                description: str, missing: cloudwatch.TreatMissingData,
                topic: sns.ITopic) -> None:
    notify(cloudwatch.Alarm(
        stack, construct_id, alarm_name=name, metric=metric, threshold=0,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=1, treat_missing_data=missing, alarm_description=description,
    ), topic)
