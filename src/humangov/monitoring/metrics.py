"""Prometheus metrics per check, fed by a result subscriber, on the registry the app serves
at /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from humangov.monitoring.results import RunResult


class CheckMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.runs = Counter(
            "humangov_check_runs_total", "Synthetic check runs, by outcome.", ["check", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "humangov_check_duration_seconds", "Duration of synthetic check runs.", ["check"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
            registry=registry,
        )

    async def record(self, check, result: RunResult) -> None:
        """A scheduler subscriber."""
        self.runs.labels(check=result.check, status=result.status).inc()
        if result.trigger != "missed":  # a run that never started has no duration to observe
            self.duration.labels(check=result.check).observe(result.duration_ms / 1000.0)
