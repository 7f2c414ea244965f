"""The monitoring engine: config + store + scheduler + one HTTP client, started and stopped
as a unit (inside `serve`'s lifespan, or alone by `humangov monitor`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path

from humangov.monitoring.checks import run_check
from humangov.monitoring.config import MonitoringConfig
from humangov.monitoring.http import Clients
from humangov.monitoring.metrics import CheckMetrics
from humangov.monitoring.scheduler import Scheduler, Subscriber
from humangov.monitoring.store import RunStore
from humangov.private_files import private_dir

log = logging.getLogger(__name__)

RETENTION_EVERY = timedelta(hours=1)


class MonitoringEngine:
    def __init__(
        self,
        config: MonitoringConfig,
        store: RunStore,
        artifacts_dir: Path,
        subscribers: Iterable[Subscriber] = (),
        *,
        clients: Clients | None = None,
        metrics: CheckMetrics | None = None,
        secrets: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.artifacts_dir = Path(artifacts_dir)
        self._own_clients = clients is None
        self._clients = clients
        self._secrets = dict(secrets or {})
        # The app passes CheckMetrics(app.state.metrics) so /metrics shows the check series.
        subs = [metrics.record] if metrics is not None else []
        self.scheduler = Scheduler(
            config.checks, self._run, store=store, artifacts_dir=self.artifacts_dir,
            subscribers=[*subs, self._budget_artifacts, *subscribers],
            max_concurrency=config.max_concurrency,
        )
        self._retention: asyncio.Task | None = None

    async def _run(self, check, ctx, **kw):
        return await run_check(check, self._clients, ctx, **kw)

    async def start(self) -> None:
        if self._clients is None:
            self._clients = Clients(secrets=self._secrets)
        private_dir(self.artifacts_dir)
        await self.scheduler.start()
        self._retention = asyncio.create_task(self._retention_loop(), name="monitoring-retention")

    async def stop(self) -> None:
        if self._retention is not None:
            self._retention.cancel()
            await asyncio.gather(self._retention, return_exceptions=True)
        await self.scheduler.stop()
        if self._own_clients and self._clients is not None:
            await self._clients.aclose()
            self._clients = None

    def run_now(self, check_name: str, delay: float = 0.0) -> None:
        self.scheduler.run_now(check_name, delay)

    async def _budget_artifacts(self, check, result) -> None:
        """After each run that kept files, so the budget holds between retention passes."""
        if result.artifacts:
            try:
                await asyncio.to_thread(self.store.apply_artifact_budget)
            except Exception:
                log.exception("could not apply the canary artifacts budget; will retry")

    async def _retention_loop(self) -> None:
        while True:
            try:
                report = await asyncio.to_thread(self.store.apply_retention)
                await asyncio.to_thread(self.store.apply_artifact_budget)
                if report.runs_deleted:
                    log.info("monitoring retention: rolled up and deleted %d runs, "
                             "%d artifact files", report.runs_deleted,
                             report.artifact_files_deleted)
            except Exception:
                log.exception("monitoring retention failed; will retry")
            await asyncio.sleep(RETENTION_EVERY.total_seconds())
