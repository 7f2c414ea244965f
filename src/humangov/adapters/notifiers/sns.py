"""SNS transport: publishes an alarm event to a topic (on AWS, where Chatbot or the
alarm_to_slack Lambda fan it out). Raises TransportError on failure, returns None on success."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
from botocore.exceptions import BotoCoreError, ClientError

from humangov.monitoring.alarms.messages import AlarmEvent, headline
from humangov.monitoring.alarms.transport import TransportError, fingerprint

if TYPE_CHECKING:
    from humangov.adapters.aws.clients import AwsClients

# A wrong topic or a missing permission does not fix itself by retrying.
PERMANENT = {"NotFound", "NotFoundException", "AuthorizationError", "InvalidParameter",
             "InvalidParameterException", "KMSAccessDenied", "KMSDisabled"}


class SnsTransport:
    kind = "sns"

    def __init__(self, topic_arn: str, clients: AwsClients, *, name: str = "sns") -> None:
        self.topic_arn = topic_arn
        self.clients = clients
        self.name = name

    def describe(self) -> str:
        return self.topic_arn

    def fingerprint(self) -> str:
        return fingerprint(self.topic_arn)

    def notify(self, event: AlarmEvent, *, event_id: int | None = None) -> None:
        try:
            self.clients.sns.publish(
                TopicArn=self.topic_arn, Subject=headline(event)[:100],
                Message=orjson.dumps(event.to_json()).decode(),
                MessageAttributes={
                    "check": {"DataType": "String", "StringValue": event.check[:256]},
                    "state": {"DataType": "String", "StringValue": event.new_state}})
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise TransportError(f"SNS {error.get('Code')}: {error.get('Message', '')[:200]}",
                                 permanent=error.get("Code") in PERMANENT) from None
        except BotoCoreError as exc:
            raise TransportError(f"SNS unreachable: {exc}") from None
