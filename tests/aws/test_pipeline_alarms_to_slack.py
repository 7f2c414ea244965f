"""Every alarm kind infra/ routes to the alarm topic (issue 14: the erasure pipeline, the
daily sweep, alarm_to_slack's own failures), delivered by SNS as CloudWatch sends it, is
posted by alarm_to_slack through the one shared message builder, naming the state if any."""

from __future__ import annotations

import json

import pytest

from humangov.aws import alarm_to_slack
from humangov.monitoring.alarms.messages import build_slack_message
from tests.aws.test_alarm_to_slack import slack  # noqa: F401  (fixture)

TOPIC = "arn:aws:sns:us-east-1:123456789012:HumanGov-Shared-AlarmTopicD01E77F9-1A2B3C4D5E6F"


def sns_event(name: str, description: str, trigger: dict, new: str = "ALARM",
              old: str = "OK") -> dict:
    """An SNS notification as CloudWatch publishes it for a metric alarm."""
    reason = ("Threshold Crossed: 1 out of the last 1 datapoints [4210000.0 (02/12/26 02:45:00)] "
              "was greater than the threshold (3600000.0) (minimum 1 datapoint for OK -> "
              "ALARM transition).") if new == "ALARM" else (
              "Threshold Crossed: 1 out of the last 1 datapoints [0.0 (02/12/26 03:45:00)] was "
              "not greater than the threshold (0.0) (minimum 1 datapoint for ALARM -> OK "
              "transition).")
    message = {
        "AlarmName": name, "AlarmDescription": description, "AWSAccountId": "123456789012",
        "AlarmConfigurationUpdatedTimestamp": "2026-12-01T10:00:00.000+0000",
        "NewStateValue": new, "NewStateReason": reason,
        "StateChangeTime": "2026-12-02T02:50:29.571+0000",
        "Region": "US East (N. Virginia)",
        "AlarmArn": f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}",
        "OldStateValue": old, "OKActions": [TOPIC], "AlarmActions": [TOPIC],
        "InsufficientDataActions": [],
        "Trigger": {"StatisticType": "Statistic", "Unit": None, "EvaluationPeriods": 1,
                    "ComparisonOperator": "GreaterThanThreshold", "Threshold": 0.0,
                    "TreatMissingData": "notBreaching", "EvaluateLowSampleCountPercentile": "",
                    **trigger},
    }
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "Sns": {
        "Type": "Notification", "TopicArn": TOPIC, "Message": json.dumps(message),
        "Subject": f'{new}: "{name}" in US East (N. Virginia)',
        "Timestamp": "2026-12-02T02:50:30.123Z", "MessageAttributes": {}}}]}


def _lambda(metric: str, statistic: str = "SUM") -> dict:
    return {"MetricName": metric, "Namespace": "AWS/Lambda", "Statistic": statistic,
            "Dimensions": [{"value": "HumanGov-CA-Erasure6E3F1D2C-AbCdEf123456",
                            "name": "FunctionName"}], "Period": 300}


def _queue(name: str) -> dict:
    return {"MetricName": "ApproximateNumberOfMessagesVisible", "Namespace": "AWS/SQS",
            "Statistic": "MAXIMUM", "Dimensions": [{"value": name, "name": "QueueName"}],
            "Period": 60}


def _sweep(metric: str) -> dict:
    return {"MetricName": metric, "Namespace": "HumanGov", "Statistic": "SUM",
            "Dimensions": [], "Period": 3600}


KINDS = [
    ("humangov-CA-erasure-iterator-age", "CA: erasures are more than an hour behind the stream",
     _lambda("IteratorAge", "MAXIMUM"), "CA"),
    ("humangov-CA-erasure-errors", "CA: the erasure function failed", _lambda("Errors"), "CA"),
    ("humangov-CA-erasure-throttles", "CA: the erasure function was throttled",
     _lambda("Throttles"), "CA"),
    ("humangov-CA-erasure-dlq", "CA: erasures failed and were parked on the DLQ",
     _queue("HumanGov-CA-ErasureDeadLetters1B2C3D4E-AbCdEf"), "CA"),
    ("humangov-alarm-to-slack-failed", "alarm_to_slack could not post alarms to Slack",
     _queue("HumanGov-Shared-AlarmToSlackFailures9F8E7D6C-AbCdEf"), None),
    ("humangov-sweep-failed", "The daily orphan sweep failed for a state",
     _sweep("SweepFailures"), None),
    ("humangov-sweep-found-orphans", "The daily sweep found (and erased) orphaned files",
     _sweep("SweepOrphans"), None),
    ("humangov-sweep-missing", "No orphan sweep reported in 26 hours",
     {**_sweep("SweepRuns"), "ComparisonOperator": "LessThanThreshold",
      "TreatMissingData": "breaching", "EvaluationPeriods": 26}, None),
]


@pytest.mark.parametrize("new, old", [("ALARM", "OK"), ("OK", "ALARM")])
@pytest.mark.parametrize("name, description, trigger, tenant", KINDS, ids=[k[0] for k in KINDS])
def test_each_pipeline_alarm_is_posted_by_the_shared_builder(
    slack, monkeypatch, name, description, trigger, tenant, new, old  # noqa: F811
):
    posted, _, url = slack
    monkeypatch.setenv("HUMANGOV_SLACK_WEBHOOK_URL", url)
    monkeypatch.delenv("HUMANGOV_SLACK_SECRET_ID", raising=False)
    event = sns_event(name, description, trigger, new, old)

    assert alarm_to_slack.handler(event) == {"posted": 1}

    alarm = alarm_to_slack.alarm_event(json.loads(event["Records"][0]["Sns"]["Message"]))
    [body] = posted
    assert body == build_slack_message(alarm)
    assert body["text"].startswith(f"[{new}] {name}")
    assert (alarm.tenant, alarm.old_state, alarm.since.isoformat()) == (
        tenant, old, "2026-12-02T02:50:29.571000+00:00")
    # Only an alarm carries its description as the error; a recovery says it recovered.
    assert (description in json.dumps(body)) is (new == "ALARM")
