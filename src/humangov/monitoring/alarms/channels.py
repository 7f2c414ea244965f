"""Where alarms go, as the settings and the monitoring YAML say: the Slack webhook URL (a
secret, from the environment, a file or the YAML), checked before anything starts."""

from __future__ import annotations

from pathlib import Path


class AlarmConfigError(Exception):
    """Notification settings that cannot be used; the message says what to fix."""


def _read_secret_file(path: Path | str, what: str) -> str:
    try:
        value = Path(path).read_text().strip()
    except OSError as exc:
        raise AlarmConfigError(
            f"{what}: cannot read {path} ({exc.strerror}); fix the path or unset it"
        ) from None
    if not value:
        raise AlarmConfigError(f"{what}: {path} is empty; put the webhook URL in it")
    return value


def slack_webhook_url(settings, notify) -> str | None:
    """HUMANGOV_SLACK_WEBHOOK_URL, else the file named by HUMANGOV_SLACK_WEBHOOK_URL_FILE,
    else the YAML's `notify.slack`. None when no Slack webhook is configured."""
    if settings is not None and settings.slack_webhook_url is not None:
        url = settings.slack_webhook_url.get_secret_value().strip()
    elif settings is not None and settings.slack_webhook_url_file is not None:
        url = _read_secret_file(settings.slack_webhook_url_file, "HUMANGOV_SLACK_WEBHOOK_URL_FILE")
    elif notify is not None and notify.slack is not None and notify.slack.webhook_url is not None:
        url = notify.slack.webhook_url.get_secret_value().strip()
    elif notify is not None and notify.slack is not None and notify.slack.webhook_url_file:
        url = _read_secret_file(notify.slack.webhook_url_file, "notify.slack.webhook_url_file")
    else:
        return None
    if not url.startswith(("https://", "http://")):
        raise AlarmConfigError("the Slack webhook URL must start with https:// (see https://api.slack.com/messaging/webhooks)")
    return url
