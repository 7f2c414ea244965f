"""GIVEN the synthesised app, THEN the erasure pipeline and the daily sweep raise alarms into
the one alarm topic, and the sweep runs as one scheduled task rather than inside `serve`."""

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


def test_the_sweep_runs_daily_as_one_fargate_task_of_the_app_and_serve_runs_none(synthesised):
    from humangov_infra.shared import SWEEP_EVENT as SWEEP_EVENT_IN_INFRA

    from humangov.cli.sweep import SWEEP_EVENT

    shared = synthesised.template_json("HumanGov-Shared")
    resources = shared["Resources"].values()
    (rule,) = [r["Properties"] for r in resources if r["Type"] == "AWS::Events::Rule"]
    assert rule["ScheduleExpression"] == "cron(0 7 * * ? *)"
    (target,) = rule["Targets"]
    assert target["EcsParameters"]["TaskCount"] == 1
    assert target["EcsParameters"]["LaunchType"] == "FARGATE"
    overrides = json.loads(target["Input"])["containerOverrides"]
    assert overrides == [{"name": "app", "command": ["humangov", "orphans", "daily"]}]
    (task,) = [r["Properties"] for r in resources if r["Type"] == "AWS::ECS::TaskDefinition"]
    assert target["EcsParameters"]["TaskDefinitionArn"]["Ref"] in json.dumps(shared)
    (container,) = task["ContainerDefinitions"]
    assert {"Name": "HUMANGOV_SWEEP_SCHEDULE", "Value": "off"} in container["Environment"]
    assert SWEEP_EVENT_IN_INFRA == SWEEP_EVENT


def test_the_sweep_alarms_on_failure_orphans_and_a_missing_day(synthesised):
    from humangov.cli.sweep import SWEEP_EVENT

    shared = synthesised.template_json("HumanGov-Shared")
    filters = {r["Properties"]["MetricTransformations"][0]["MetricName"]: r["Properties"]
               for r in shared["Resources"].values() if r["Type"] == "AWS::Logs::MetricFilter"}
    assert {name: f["MetricTransformations"][0]["MetricValue"] for name, f in filters.items()} \
        == {"SweepRuns": "1", "SweepOrphans": "$.orphans", "SweepFailures": "$.failed"}
    assert {f["FilterPattern"] for f in filters.values()} == {f'{{ $.event = "{SWEEP_EVENT}" }}'}
    assert all("Ref" in f["LogGroupName"] and "AppLogs" in f["LogGroupName"]["Ref"]
               for f in filters.values())

    failed, orphans, missing = (_alarm(shared, p) for p in (
        "SweepFailedAlarm", "SweepFoundOrphansAlarm", "SweepMissingAlarm"))
    assert (failed["MetricName"], failed["Threshold"], failed["ComparisonOperator"]) == (
        "SweepFailures", 0, "GreaterThanThreshold")
    assert (orphans["MetricName"], orphans["Threshold"]) == ("SweepOrphans", 0)
    assert (missing["MetricName"], missing["Threshold"], missing["ComparisonOperator"]) == (
        "SweepRuns", 1, "LessThanThreshold")
    assert (missing["Period"], missing["EvaluationPeriods"], missing["DatapointsToAlarm"]) == (
        3600, 26, 26)
    assert missing["TreatMissingData"] == "breaching"
    # CloudWatch's limit for hourly periods: seven days of evaluation.
    assert missing["Period"] * missing["EvaluationPeriods"] <= 7 * 86400
