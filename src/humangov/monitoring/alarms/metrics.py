"""Prometheus metrics of the alarm side, on the default registry that `/metrics` serves."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

CHANNEL_DISABLED = Gauge(
    "humangov_notification_channel_disabled",
    "1 when a notification channel was disabled by a permanent error (see the Alarms page)",
    ["channel"],
)
NOTIFICATIONS = Counter(
    "humangov_notifications_total", "Notification delivery attempts by outcome",
    ["channel", "outcome"],  # sent, retry, rate_limited, permanent_error
)
ALARM_STATE = Gauge(
    "humangov_check_alarm", "1 while a check is in ALARM", ["check"],
)
MONITOR_DEGRADED = Gauge(
    "humangov_monitor_degraded", "1 while checks cannot run (store failing, runs behind schedule)",
)
