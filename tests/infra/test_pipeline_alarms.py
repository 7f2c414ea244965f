"""GIVEN the synthesised app, THEN the erasure pipeline and the scheduled runs (sweep,
retention, erasure requests) raise alarms into the one alarm topic, and each run is one
scheduled task rather than inside `serve`."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.xdist_group("infra")


def _alarms(template_json: dict) -> dict[str, dict]:
    return {k: v["Properties"] for k, v in template_json["Resources"].items()
            if v["Type"] == "AWS::CloudWatch::Alarm"}


def _alarm(template_json: dict, prefix: str) -> dict:
    (alarm,) = [p for k, p in _alarms(template_json).items() if k.startswith(prefix)]
    return alarm


def test_every_alarm_raises_and_clears_on_the_one_alarm_topic(synthesised):
    for stack in ("HumanGov-Shared", "HumanGov-CA"):
        for logical_id, alarm in _alarms(synthesised.template_json(stack)).items():
            (topic,) = alarm["AlarmActions"]
            assert alarm["OKActions"] == [topic], logical_id
            assert "AlarmTopic" in json.dumps(topic), logical_id


def test_the_erasure_function_alarms_on_iterator_age_errors_and_throttles(synthesised):
    from humangov_infra.state import ITERATOR_AGE_ALARM, MAX_RECORD_AGE

    from humangov.aws.alarm_to_slack import alarm_event

    ca = synthesised.template_json("HumanGov-CA")
    for prefix, name, metric, threshold in (
        ("ErasureIteratorAgeAlarm", "iterator-age", "IteratorAge", 3_600_000),
        ("ErasureErrorsAlarm", "errors", "Errors", 0),
        ("ErasureThrottlesAlarm", "throttles", "Throttles", 0),
    ):
        alarm = _alarm(ca, prefix)
        assert alarm["AlarmName"] == f"humangov-CA-erasure-{name}"
        # The state in the name is how the Slack message says which state.
        assert alarm_event({"AlarmName": alarm["AlarmName"]}).tenant == "CA"
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", metric)
        assert alarm["Threshold"] == threshold
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        (dimension,) = alarm["Dimensions"]
        assert dimension["Name"] == "FunctionName"
        assert dimension["Value"]["Ref"].startswith("Erasure")
    # An hour behind leaves most of the 6 h before records are parked on the DLQ.
    assert ITERATOR_AGE_ALARM.to_hours() * 4 < MAX_RECORD_AGE.to_hours()


def test_a_dead_letter_alarms_and_the_on_failure_queue_outlives_the_stack(synthesised):
    from humangov_infra.state import HANDLER_MAX_ATTEMPTS, RETRY_ATTEMPTS

    from humangov.aws.stream_cleanup import DEAD_LETTER_METRIC, METRIC_NAMESPACE

    ca = synthesised.template_json("HumanGov-CA")
    # The metric stream_cleanup writes once per new dead letter, per state
    alarm = _alarm(ca, "ErasureDeadLetterTableAlarm")
    assert alarm["AlarmName"] == "humangov-CA-erasure-dead-letters"
    assert (alarm["Namespace"], alarm["MetricName"]) == (METRIC_NAMESPACE, DEAD_LETTER_METRIC)
    assert alarm["Dimensions"] == [{"Name": "State", "Value": "CA"}]
    assert (alarm["Statistic"], alarm["Period"], alarm["Threshold"]) == ("Sum", 60, 0)
    # The handler parks a failing record before the mapping gives up on its batch
    env = next(r["Properties"]["Environment"]["Variables"] for r in ca["Resources"].values()
               if r["Type"] == "AWS::Lambda::Function"
               and r["Properties"].get("Handler") == "humangov.aws.stream_cleanup.handler")
    assert int(env["HUMANGOV_ERASURE_MAX_ATTEMPTS"]) == HANDLER_MAX_ATTEMPTS < 1 + RETRY_ATTEMPTS
    assert env["HUMANGOV_AWS_DEAD_LETTER_TABLE"] == synthesised.config.dead_letter_table
    (queue,) = [r for r in ca["Resources"].values() if r["Type"] == "AWS::SQS::Queue"]
    assert queue["DeletionPolicy"] == "Retain"
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def _rule(shared: dict, command: list[str]) -> dict:
    (rule,) = [r["Properties"] for r in shared["Resources"].values()
               if r["Type"] == "AWS::Events::Rule"
               and json.loads(r["Properties"]["Targets"][0]["Input"])["containerOverrides"]
               == [{"name": "app", "command": command}]]
    return rule


# (command, schedule, the runtime's summary marker, its switch in `serve`)
RUNS = [
    (["humangov", "orphans", "daily"], "cron(0 7 * * ? *)", ("humangov.cli.sweep", "SWEEP_EVENT"),
     "HUMANGOV_SWEEP_SCHEDULE"),
    (["humangov", "retention", "daily"], "cron(0 6 * * ? *)",
     ("humangov.cli.retention", "RETENTION_EVENT"), "HUMANGOV_RETENTION_SCHEDULE"),
    (["humangov", "requests", "check", "--format", "json"], "cron(30 * * * ? *)",
     ("humangov.cli.requests", "REQUESTS_EVENT"), "HUMANGOV_REQUESTS_SCHEDULE"),
]


@pytest.mark.parametrize("command, expression, marker, switch", RUNS,
                         ids=["sweep", "retention", "requests"])
def test_each_scheduled_run_is_one_fargate_task_of_the_app_and_serve_runs_none(
    synthesised, command, expression, marker, switch
):
    import importlib

    from humangov_infra import scheduled

    shared = synthesised.template_json("HumanGov-Shared")
    resources = shared["Resources"].values()
    rule = _rule(shared, command)
    assert rule["ScheduleExpression"] == expression
    (target,) = rule["Targets"]
    assert target["EcsParameters"]["TaskCount"] == 1
    assert target["EcsParameters"]["LaunchType"] == "FARGATE"
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
    (task,) = [r["Properties"] for r in resources if r["Type"] == "AWS::ECS::TaskDefinition"]
    assert target["EcsParameters"]["TaskDefinitionArn"]["Ref"] in json.dumps(shared)
    (container,) = task["ContainerDefinitions"]
    assert {"Name": switch, "Value": "off"} in container["Environment"]
    (run,) = [r for r in scheduled.ALL if r.command == command]
    assert run.event == getattr(importlib.import_module(marker[0]), marker[1])


def test_the_late_days_the_task_is_given_are_the_configured_ones(synthesised):
    shared = synthesised.template_json("HumanGov-Shared")
    (task,) = [r["Properties"] for r in shared["Resources"].values()
               if r["Type"] == "AWS::ECS::TaskDefinition"]
    (container,) = task["ContainerDefinitions"]
    assert {"Name": "HUMANGOV_RETENTION_LATE_DAYS",
            "Value": str(synthesised.config.retention_late_days)} in container["Environment"]


def _filters(shared: dict, event: str) -> dict[str, dict]:
    return {r["Properties"]["MetricTransformations"][0]["MetricName"]: r["Properties"]
            for r in shared["Resources"].values() if r["Type"] == "AWS::Logs::MetricFilter"
            and r["Properties"]["FilterPattern"] == f'{{ $.event = "{event}" }}'}


# (summary marker, metric filters, the finding's alarm and metric, how it treats no data,
#  hours without a run before the missing alarm)
ALARMED = [
    ("humangov-orphan-sweep", {"SweepRuns": "1", "SweepOrphans": "$.orphans",
                               "SweepFailures": "$.failed"},
     ("SweepFoundOrphansAlarm", "SweepOrphans", "notBreaching"), "Sweep", 26),
    ("humangov-retention-run", {"RetentionRuns": "1", "RetentionLate": "$.late",
                                "RetentionFailures": "$.failed"},
     ("RetentionLateAlarm", "RetentionLate", "ignore"), "Retention", 26),
    ("humangov-requests-check", {"RequestsRuns": "1", "RequestsOverdue": "$.overdue",
                                 "RequestsFailures": "$.failed"},
     ("RequestsOverdueAlarm", "RequestsOverdue", "ignore"), "Requests", 3),
]


@pytest.mark.parametrize("event, filters, finding, prefix, missing_hours", ALARMED,
                         ids=["sweep", "retention", "requests"])
def test_each_scheduled_run_alarms_on_failure_findings_and_a_missing_run(
    synthesised, event, filters, finding, prefix, missing_hours
):
    shared = synthesised.template_json("HumanGov-Shared")
    found = _filters(shared, event)
    assert {name: f["MetricTransformations"][0]["MetricValue"] for name, f in found.items()} \
        == filters
    assert all("Ref" in f["LogGroupName"] and "AppLogs" in f["LogGroupName"]["Ref"]
               for f in found.values())

    failed, alarmed, missing = (_alarm(shared, p) for p in (
        f"{prefix}FailedAlarm", finding[0], f"{prefix}MissingAlarm"))
    assert (failed["MetricName"], failed["Threshold"], failed["ComparisonOperator"]) == (
        f"{prefix}Failures", 0, "GreaterThanThreshold")
    assert (alarmed["MetricName"], alarmed["Threshold"], alarmed["ComparisonOperator"]) == (
        finding[1], 0, "GreaterThanThreshold")
    # A late item or an overdue request stays alarmed between runs rather than flapping.
    assert alarmed["TreatMissingData"] == finding[2]
    assert (missing["MetricName"], missing["Threshold"], missing["ComparisonOperator"]) == (
        f"{prefix}Runs", 1, "LessThanThreshold")
    assert (missing["Period"], missing["EvaluationPeriods"], missing["DatapointsToAlarm"]) == (
        3600, missing_hours, missing_hours)
    assert missing["TreatMissingData"] == "breaching"
    # CloudWatch's limit for hourly periods: seven days of evaluation.
    assert missing["Period"] * missing["EvaluationPeriods"] <= 7 * 86400
