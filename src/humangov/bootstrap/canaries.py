"""The monitoring side: the run store, the canary engine, and the alarm service with the
channels the settings and the checks file name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry

from humangov.adapters.notifiers.inbox import InboxTransport
from humangov.adapters.notifiers.slack import SlackTransport
from humangov.adapters.notifiers.webhook import WebhookTransport
from humangov.config import Settings
from humangov.monitoring.alarms.channels import AlarmConfigError, slack_webhook_url
from humangov.monitoring.alarms.metrics import AlarmMetrics
from humangov.monitoring.alarms.service import AlarmService
from humangov.monitoring.alarms.silences import validate
from humangov.monitoring.alarms.store import AlarmStore
from humangov.monitoring.alarms.transport import Transport
from humangov.monitoring.config import MonitoringConfig
from humangov.monitoring.engine import MonitoringEngine
from humangov.monitoring.metrics import CheckMetrics
from humangov.monitoring.scheduler import Scheduler
from humangov.monitoring.sqlite_store import SqliteRunStore
from humangov.monitoring.store import RunStore, artifacts_dir_for


def alarms(settings: Settings, config: MonitoringConfig, *, scheduler: Scheduler | None = None,
           metrics: CollectorRegistry | None = None, **options: Any) -> AlarmService:
    """The alarm service on `<data_dir>/alarms.db`. Call `await service.start()` once the
    event loop runs, `attach(scheduler)` (or pass it here) and wrap the result store with
    `service.watch_store(store)` so a failing store raises a "monitor degraded" alert."""
    problems = validate(list(config.silences))
    if problems:
        raise AlarmConfigError("invalid silences:\n" + "\n".join(f"  {p}" for p in problems))
    store = AlarmStore.open(settings.data_dir / "alarms.db")
    transports: list[Transport] = [InboxTransport(store)]
    notify = config.notify
    url = slack_webhook_url(settings, notify)
    if url:
        transports.append(SlackTransport(url))
    for hook in (notify.webhooks if notify else []):
        transports.append(WebhookTransport(hook.url.get_secret_value(), name=hook.name))
    service = AlarmService(
        store, transports, list(config.checks), base_url=settings.public_url,
        silences=list(config.silences), deadman=config.deadman,
        metrics=AlarmMetrics(metrics), **options,
    )
    if scheduler is not None:
        service.attach(scheduler)
    return service


def run_store(settings: Settings, config: MonitoringConfig) -> RunStore:
    return SqliteRunStore(settings.data_dir / "monitoring.db",
                          artifacts_dir=artifacts_dir_for(settings.data_dir),
                          raw_retention=config.retention.raw,
                          hourly_retention=config.retention.hourly,
                          artifacts_keep_passing=settings.canary_artifacts_keep_passing,
                          artifacts_budget=settings.canary_artifacts_budget)


@dataclass
class Monitoring:
    """The canaries and their alarms, as `serve` and `humangov monitor` run them."""

    config: MonitoringConfig
    store: RunStore  # watched by the alarms: a failing store raises "monitor degraded"
    engine: MonitoringEngine
    alarms: AlarmService | None

    def services(self) -> list:
        """Started in this order, stopped in reverse."""
        return [s for s in (self.alarms, self.engine) if s is not None]


def monitoring(settings: Settings, config: MonitoringConfig, *, with_alarms: bool = True,
               metrics: CollectorRegistry | None = None,
               secrets: Mapping[str, str] | None = None) -> Monitoring:
    store = run_store(settings, config)
    service = alarms(settings, config, metrics=metrics) if with_alarms else None
    if service is not None:
        store = service.watch_store(store)
    engine = MonitoringEngine(config, store, artifacts_dir_for(settings.data_dir),
                              metrics=CheckMetrics(metrics) if metrics is not None else None,
                              secrets=secrets)
    if service is not None:
        service.attach(engine.scheduler)
    return Monitoring(config, store, engine, service)
