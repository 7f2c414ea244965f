"""Wiring for the alarm side: settings + monitoring config -> AlarmService with its channels.
The composition root (bootstrap) calls `build_alarms`; it is the only place here that knows the
concrete notifiers."""

from __future__ import annotations

from pathlib import Path

from humangov.adapters.notifiers.inbox import InboxTransport
from humangov.adapters.notifiers.slack import SlackTransport
from humangov.adapters.notifiers.webhook import WebhookTransport
from humangov.monitoring.alarms.service import AlarmService
from humangov.monitoring.alarms.silences import validate
from humangov.monitoring.alarms.store import AlarmStore


class AlarmConfigError(Exception):
    """Notification settings that cannot be used; the message says what to fix."""


def _read_secret_file(path: Path | str, what: str) -> str:
    try:
        value = Path(path).read_text().strip()
    except OSError as exc:
        raise AlarmConfigError(f"{what}: cannot read {path} ({exc.strerror}); fix the path or unset it") from None
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


def build_alarms(settings, data_dir: Path, monitoring_config, scheduler=None, **options) -> AlarmService:
    """The alarm service on `<data_dir>/alarms.db`. Call `await service.start()` once the
    event loop runs, `attach(scheduler)` (or pass it here) and wrap the result store with
    `service.watch_store(store)` so a failing store raises a "monitor degraded" alert."""
    problems = validate(list(monitoring_config.silences))
    if problems:
        raise AlarmConfigError("invalid silences:\n" + "\n".join(f"  {p}" for p in problems))
    store = AlarmStore.open(Path(data_dir) / "alarms.db")
    transports = [InboxTransport(store)]
    notify = monitoring_config.notify
    url = slack_webhook_url(settings, notify)
    if url:
        transports.append(SlackTransport(url))
    for hook in (notify.webhooks if notify else []):
        transports.append(WebhookTransport(hook.url.get_secret_value(), name=hook.name))
    base_url = settings.public_url if settings is not None else "http://127.0.0.1:8000"
    service = AlarmService(
        store, transports, list(monitoring_config.checks), base_url=base_url,
        silences=list(monitoring_config.silences), deadman=monitoring_config.deadman, **options,
    )
    if scheduler is not None:
        service.attach(scheduler)
    return service
