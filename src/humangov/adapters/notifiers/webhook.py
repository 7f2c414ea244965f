"""A generic JSON webhook: POST the event as JSON, with the Slack text for readers."""

from __future__ import annotations

import httpx

from humangov.adapters.notifiers import classify
from humangov.monitoring.alarms.messages import AlarmEvent, headline
from humangov.monitoring.alarms.transport import TransportError, fingerprint, redact_url, scrub


class WebhookTransport:
    kind = "webhook"

    def __init__(self, url: str, *, name: str = "webhook", timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.name = name if name.startswith("webhook") else f"webhook:{name}"
        self._url = url
        self._timeout = timeout
        self._transport = transport

    def describe(self) -> str:
        return redact_url(self._url)

    def fingerprint(self) -> str:
        return fingerprint(self._url)

    def notify(self, event: AlarmEvent, *, event_id: int | None = None) -> None:
        payload = {"text": headline(event), "event": event.to_json()}
        try:
            with httpx.Client(timeout=self._timeout, transport=self._transport) as client:
                response = client.post(self._url, json=payload)
        except httpx.HTTPError as exc:
            raise TransportError(
                scrub(f"network error: {type(exc).__name__}: {exc}", self._url)
            ) from None
        error = classify(response.status_code, response.text, dict(response.headers))
        if error is not None:
            error.message = scrub(error.message, self._url)
            raise error
