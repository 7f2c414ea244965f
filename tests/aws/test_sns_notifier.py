"""The SNS transport publishes the alarm event; a missing topic is a permanent failure."""

from __future__ import annotations

import json

import pytest

from humangov.adapters.notifiers.sns import SnsTransport
from humangov.monitoring.alarms.messages import AlarmEvent
from humangov.monitoring.alarms.transport import TransportError


def test_an_alarm_event_is_published_to_the_topic(aws_local):
    sns, sqs = aws_local.clients.get("sns"), aws_local.clients.get("sqs")
    topic = sns.create_topic(Name="humangov-alarms")["TopicArn"]
    queue = sqs.create_queue(QueueName="alarms")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
                  Attributes={"RawMessageDelivery": "true"})
    event = AlarmEvent(
        check="api-flow", new_state="ALARM", old_state="OK", tenant="CA", error="HTTP 500"
    )
    SnsTransport(topic, aws_local.clients).notify(event)
    [message] = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    assert AlarmEvent.from_json(json.loads(message["Body"])) == event


def test_a_missing_topic_is_a_permanent_failure(aws_local):
    missing = "arn:aws:sns:us-east-1:123456789012:nope"
    with pytest.raises(TransportError) as caught:
        SnsTransport(missing, aws_local.clients).notify(AlarmEvent(check="x", new_state="OK"))
    assert caught.value.permanent
