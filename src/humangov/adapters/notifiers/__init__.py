"""Notification transports: Slack, a generic JSON webhook, and the local inbox + console.
Each `notify(event)` returns None or raises `TransportError` (see monitoring.alarms.transport)."""

from __future__ import annotations

import logging

from humangov.monitoring.alarms.transport import TransportError

# Answers that mean the webhook will never work again: retrying only spams a dead endpoint.
# https://api.slack.com/messaging/webhooks#handling_errors
PERMANENT_BODIES = (
    "invalid_token", "no_service", "channel_not_found", "no_team", "team_disabled",
    "action_prohibited", "channel_is_archived", "no_service_id",
)


def classify(
    status: int, body: str, headers: dict[str, str] | None = None
) -> TransportError | None:
    """None for a 2xx answer, else the TransportError it stands for."""
    if 200 <= status < 300:
        return None
    text = (body or "").strip()[:200]
    if status in (404, 410) or any(code in text for code in PERMANENT_BODIES):
        return TransportError(f"HTTP {status}: {text or 'no body'}", permanent=True)
    if status == 429:
        # Slack sends Retry-After in seconds: https://api.slack.com/apis/rate-limits
        lowered = {k.lower(): v for k, v in (headers or {}).items()}
        raw = lowered.get("retry-after")
        if isinstance(raw, list):
            raw = raw[0] if raw else None
        try:
            retry_after = max(0.0, float(raw)) if raw is not None else 1.0
        except ValueError:
            retry_after = 1.0
        return TransportError(
            f"HTTP 429: rate limited for {retry_after:g}s", retry_after=retry_after
        )
    return TransportError(f"HTTP {status}: {text or 'no body'}")


class _WarningsOnly(logging.Logger):
    def isEnabledFor(self, level: int) -> bool:
        return level >= logging.WARNING and super().isEnabledFor(level)


def slack_sdk_logger() -> logging.Logger:
    """The logger to hand slack_sdk's WebhookClient, which logs the full webhook URL (a secret)
    at DEBUG and INFO. It refuses everything below WARNING whatever the root's level says, and
    changes no global logging state: it is made here, not through `logging.getLogger`, so no
    `setLevel` or `dictConfig` elsewhere reaches it. Its warnings and errors still go to the
    handlers above this package's logger."""
    # slack_sdk tests `logger.level <= DEBUG` before building some messages, so the level is set
    # too, not only `isEnabledFor`.
    logger = _WarningsOnly("humangov.adapters.notifiers.slack_sdk", logging.WARNING)
    logger.parent = logging.getLogger(__name__)
    return logger
