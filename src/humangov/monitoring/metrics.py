"""Prometheus metrics per check, fed by a result subscriber. Exposed by the app's /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from humangov.monitoring.results import RunResult

CHECK_RUNS = Counter(
    "humangov_check_runs_total", "Synthetic check runs, by outcome.", ["check", "status"]
)
CHECK_DURATION = Histogram(
    "humangov_check_duration_seconds", "Duration of synthetic check runs.", ["check"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)


async def record(check, result: RunResult) -> None:
    CHECK_RUNS.labels(check=result.check, status=result.status).inc()
    if result.trigger != "missed":  # a run that never started has no duration to observe
        CHECK_DURATION.labels(check=result.check).observe(result.duration_ms / 1000.0)
