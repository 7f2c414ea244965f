"""What every notification channel implements, after healthchecks.io's transports:
`notify(event)` returns None on success and raises TransportError on failure, saying whether
the failure is permanent (disable the channel) or transient (retry later)."""

from __future__ import annotations

import hashlib
from typing import Protocol
from urllib.parse import urlsplit

from humangov.monitoring.alarms.messages import AlarmEvent


class TransportError(Exception):
    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after


class Transport(Protocol):
    name: str  # the channel's stable name: "slack", "webhook:ops", "inbox"
    kind: str  # "slack", "webhook", "inbox"

    def describe(self) -> str: ...  # for the dashboard; never the whole secret URL
    def fingerprint(self) -> str: ...  # changes when the channel's destination changes
    # `event_id` is the stored event's id, for a channel that must deliver it once however
    # often it is handed over (the inbox); a remote channel cannot promise that and ignores it.
    def notify(self, event: AlarmEvent, *, event_id: int | None = None) -> None: ...


def fingerprint(secret: str) -> str:
    """A short hash that tells two destinations apart without revealing either."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def redact_url(url: str | None, keep: int = 2) -> str:
    """`https://hooks.slack.com/services/T0…`: enough to tell webhooks apart, not to use one."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "…"
    if not parts.scheme or not parts.hostname:
        return "…"
    path = parts.path or ""
    segments = [s for s in path.split("/") if s]
    # Keep the first path segment when it looks like a fixed route (Slack's "services"),
    # then a few characters of the secret part.
    shown = ""
    if len(segments) > 1:
        shown = "/" + segments[0] + "/" + segments[1][:keep]
    elif segments:
        shown = "/" + segments[0][:keep]
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{shown}…"


def scrub(text: str, *secrets: str | None) -> str:
    """Remove whole secret values from an error text before it is stored or shown."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, redact_url(secret))
    return text
