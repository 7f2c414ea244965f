"""Slack incoming webhook, posted with slack_sdk's WebhookClient.
https://api.slack.com/messaging/webhooks"""

from __future__ import annotations

import http.client

from slack_sdk.webhook import WebhookClient

from humangov.adapters.notifiers import classify, slack_sdk_logger
from humangov.monitoring.alarms.messages import AlarmEvent, build_slack_message
from humangov.monitoring.alarms.transport import TransportError, fingerprint, redact_url, scrub


class SlackTransport:
    kind = "slack"

    def __init__(self, url: str, *, name: str = "slack", timeout: float = 10.0) -> None:
        self.name = name
        self._url = url
        self._timeout = timeout

    def describe(self) -> str:
        return redact_url(self._url)

    def fingerprint(self) -> str:
        return fingerprint(self._url)

    def notify(self, event: AlarmEvent, *, event_id: int | None = None) -> None:
        # Our dispatcher owns retries and backoff, so the SDK's own retry handlers are off.
        client = WebhookClient(
            self._url,
            timeout=max(1, int(self._timeout)),
            logger=slack_sdk_logger(),
            retry_handlers=[],
        )
        message = build_slack_message(event)
        try:
            response = client.send(text=message["text"], blocks=message["blocks"])
        except (OSError, http.client.HTTPException) as exc:
            # URLError, timeouts and refusals: all transient.
            raise TransportError(scrub(f"network error: {exc}", self._url)) from None
        error = classify(response.status_code, response.body or "", dict(response.headers or {}))
        if error is None and (response.body or "").strip() not in ("", "ok"):
            # Slack answers 200 "ok"; anything else from a 2xx is still worth reading.
            error = classify(400, response.body)
        if error is not None:
            error.message = scrub(error.message, self._url)
            raise error
