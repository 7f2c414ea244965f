"""Lambda: a CloudWatch alarm, delivered by SNS, posted to Slack in the local notifier's format.

The alarm JSON is documented at
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-actions
and the message is built by the one shared builder, `build_slack_message`.
The webhook URL is a secret: read from Secrets Manager (HUMANGOV_SLACK_SECRET_ID; the secret
string is the URL, or JSON with a `url` key) or from HUMANGOV_SLACK_WEBHOOK_URL, cached for
the life of the container, and never logged.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from datetime import datetime
from typing import Any

from humangov.domain.states import STATE_NAMES
from humangov.monitoring.alarms.messages import AlarmEvent, build_slack_message

log = logging.getLogger(__name__)

# A state code in an alarm name, such as humangov-CA-api-flow. Upper case only: in lower
# case too many words are codes ("in", "or", "me").
_TENANT = re.compile(r"(?<![A-Za-z])([A-Z]{2})(?![A-Za-z])")
# Set by infra/ (humangov_infra.shared) to the secret's name or ARN; tests/infra checks both agree.
SECRET_ID_ENV = "HUMANGOV_SLACK_SECRET_ID"
_url: str | None = None
_lock = threading.Lock()


class DeliveryFailed(Exception):
    """Slack refused or could not be reached; SNS retries the Lambda on error."""


def alarm_event(alarm: dict) -> AlarmEvent:
    """CloudWatch alarm notification -> AlarmEvent. Pure."""
    name = str(alarm.get("AlarmName") or "unnamed alarm")
    tenant = next((m for m in _TENANT.findall(name) if m in STATE_NAMES), None)
    since = None
    if alarm.get("StateChangeTime"):
        try:
            since = datetime.strptime(alarm["StateChangeTime"], "%Y-%m-%dT%H:%M:%S.%f%z")
        except ValueError:
            since = None
    new_state = str(alarm.get("NewStateValue") or "INSUFFICIENT_DATA")
    reason = alarm.get("NewStateReason")
    return AlarmEvent(
        check=name, new_state=new_state, old_state=alarm.get("OldStateValue"), tenant=tenant,
        error=(alarm.get("AlarmDescription") or reason) if new_state == "ALARM" else None,
        since=since, reason=reason,
    )


def webhook_url() -> str:
    global _url
    with _lock:
        if _url is None:
            secret_id = os.environ.get(SECRET_ID_ENV)
            if secret_id:
                from humangov.bootstrap import aws_clients

                value = aws_clients().secretsmanager.get_secret_value(
                    SecretId=secret_id)["SecretString"].strip()
                _url = json.loads(value)["url"] if value.startswith("{") else value
            else:
                _url = os.environ.get("HUMANGOV_SLACK_WEBHOOK_URL") or ""
            if not _url:
                raise DeliveryFailed("No Slack webhook: set HUMANGOV_SLACK_SECRET_ID (preferred) "
                                     "or HUMANGOV_SLACK_WEBHOOK_URL on the function.")
        return _url


def handler(event: dict, context: Any = None) -> dict:
    from slack_sdk.webhook import WebhookClient

    from humangov.adapters.notifiers import slack_sdk_logger
    from humangov.monitoring.alarms.transport import scrub

    url = webhook_url()
    client = WebhookClient(url, timeout=10, logger=slack_sdk_logger())
    posted = 0
    for record in event.get("Records", []):
        message = record.get("Sns", {}).get("Message", "")
        try:
            alarm = json.loads(message)
        except json.JSONDecodeError:
            alarm = {"AlarmName": record.get("Sns", {}).get("Subject") or "SNS message",
                     "NewStateValue": "ALARM", "NewStateReason": message[:500]}
        slack = build_slack_message(alarm_event(alarm))
        try:
            response = client.send_dict(slack)
        except Exception as exc:  # noqa: BLE001 - any failure to reach Slack: SNS retries the invocation
            raise DeliveryFailed(scrub(f"Slack unreachable: {exc}", url)) from None
        if response.status_code != 200:
            # The URL is never part of what we log or raise.
            raise DeliveryFailed(f"Slack answered {response.status_code} for alarm "
                                 f"{alarm.get('AlarmName')!r}: {str(response.body)[:200]}")
        log.info(
            "posted alarm %s (%s) to Slack", alarm.get("AlarmName"), alarm.get("NewStateValue")
        )
        posted += 1
    return {"posted": posted}
