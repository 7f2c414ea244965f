"""Prometheus metrics of the alarm side, on the registry the app serves at `/metrics`."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class AlarmMetrics:
    """Without a registry the series are kept but exported nowhere (a test, `monitor --once`)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.channel_disabled = Gauge(
            "humangov_notification_channel_disabled",
            "1 when a notification channel was disabled by a permanent error (see the Alarms page)",
            ["channel"], registry=registry,
        )
        self.notifications = Counter(
            "humangov_notifications_total", "Notification delivery attempts by outcome",
            ["channel", "outcome"],  # sent, retry, rate_limited, permanent_error
            registry=registry,
        )
        self.alarm_state = Gauge(
            "humangov_check_alarm", "1 while a check is in ALARM", ["check"], registry=registry,
        )
        self.monitor_degraded = Gauge(
            "humangov_monitor_degraded",
            "1 while checks cannot run (store failing, runs behind schedule)", registry=registry,
        )
