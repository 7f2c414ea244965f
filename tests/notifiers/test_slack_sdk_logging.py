"""slack_sdk logs the whole webhook URL, which is a secret, at DEBUG and INFO. With the root
logger at DEBUG, posting to Slack (or failing to) logs nothing that contains it."""

from __future__ import annotations

import json
import logging
import socket
from contextlib import closing
from pathlib import Path

import pytest

from humangov.adapters.notifiers.slack import SlackTransport
from humangov.aws import alarm_to_slack
from humangov.monitoring.alarms.messages import AlarmEvent
from humangov.monitoring.alarms.transport import TransportError
from tests.alarms.localhttp import SlackReceiver

EVENT = json.loads((Path(__file__).parents[1] / "events" / "sns_cloudwatch_alarm.json").read_text())
SECRET = "XXXXSECRET"  # the last part of SlackReceiver's URL


@pytest.fixture
def refused_url():
    """A Slack-shaped URL on a port that refuses connections: bound, so no one else takes it,
    but not listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/services/T000/B000/{SECRET}"


@pytest.fixture
def root_at_debug(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def logged(caplog) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


@pytest.fixture
def lambda_posting_to(monkeypatch):
    def point_at(url: str) -> None:
        monkeypatch.setattr(alarm_to_slack, "_url", None)
        monkeypatch.setenv("HUMANGOV_SLACK_WEBHOOK_URL", url)
        monkeypatch.delenv("HUMANGOV_SLACK_SECRET_ID", raising=False)

    return point_at


def test_the_slack_transport_logs_no_webhook_url_with_the_root_at_debug(root_at_debug):
    with closing(SlackReceiver()) as receiver:
        event = AlarmEvent(check="web", new_state="ALARM", tenant="CA")
        SlackTransport(receiver.url).notify(event)
        assert len(receiver.messages) == 1
    assert SECRET not in logged(root_at_debug)


def test_the_alarm_lambda_logs_no_webhook_url_with_the_root_at_debug(
    root_at_debug, lambda_posting_to
):
    with closing(SlackReceiver()) as receiver:
        lambda_posting_to(receiver.url)
        assert alarm_to_slack.handler(EVENT) == {"posted": 1}
        assert len(receiver.messages) == 1
    assert SECRET not in logged(root_at_debug)


def test_the_alarm_lambda_retrying_a_refused_post_logs_no_webhook_url(
    refused_url, root_at_debug, lambda_posting_to
):
    # slack_sdk's default retry handler logs "Going to retry ... <url>" at INFO.
    lambda_posting_to(refused_url)
    with pytest.raises(alarm_to_slack.DeliveryFailed):
        alarm_to_slack.handler(EVENT)
    assert SECRET not in logged(root_at_debug)


def test_slack_sdk_errors_still_reach_the_root_handlers(refused_url, root_at_debug):
    with pytest.raises(TransportError):
        SlackTransport(refused_url).notify(AlarmEvent(check="web", new_state="ALARM"))
    errors = [r.getMessage() for r in root_at_debug.records if r.levelno >= logging.WARNING]
    assert any("Failed to send a request to Slack" in message for message in errors)
    assert SECRET not in logged(root_at_debug)
