"""Pure aggregation of run samples: success rate and latency percentiles, per bucket."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class Sample:
    at: float  # epoch seconds, UTC
    ok: bool
    duration_ms: float


@dataclass(frozen=True, slots=True)
class Aggregate:
    """Runs in a time bucket. Latency percentiles are over successful runs only: a timed-out
    run's duration is the timeout, which says nothing about how fast the service answers."""

    check: str
    period: str  # "hour" | "day" | an ad-hoc bucket
    start: float
    total: int
    ok: int
    sum_ms: float
    p50_ms: float | None
    p95_ms: float | None
    max_ms: float | None

    @property
    def success_pct(self) -> float | None:
        return round(100.0 * self.ok / self.total, 2) if self.total else None

    @property
    def start_at(self) -> datetime:
        return datetime.fromtimestamp(self.start, UTC)


def percentile(sorted_values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(pct / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def aggregate(check: str, period: str, start: float, samples: list[Sample]) -> Aggregate:
    latencies = sorted(s.duration_ms for s in samples if s.ok)
    return Aggregate(
        check=check, period=period, start=start, total=len(samples),
        ok=sum(1 for s in samples if s.ok), sum_ms=sum(s.duration_ms for s in samples),
        p50_ms=percentile(latencies, 50), p95_ms=percentile(latencies, 95),
        max_ms=latencies[-1] if latencies else None,
    )


def merge(a: Aggregate, b: Aggregate) -> Aggregate:
    """Combine two aggregates of the same bucket. Percentiles cannot be merged exactly; the
    result weights each part's percentile by its successful runs, which is close enough for
    a chart and is documented as an approximation."""
    def weighted(x: float | None, y: float | None) -> float | None:
        if x is None or y is None:
            return x if y is None else y
        return (x * a.ok + y * b.ok) / (a.ok + b.ok) if a.ok + b.ok else None

    return Aggregate(
        check=a.check, period=a.period, start=a.start, total=a.total + b.total, ok=a.ok + b.ok,
        sum_ms=a.sum_ms + b.sum_ms, p50_ms=weighted(a.p50_ms, b.p50_ms),
        p95_ms=weighted(a.p95_ms, b.p95_ms),
        max_ms=max((v for v in (a.max_ms, b.max_ms) if v is not None), default=None),
    )


def floor_to(ts: float, seconds: int) -> float:
    return ts - (ts % seconds)


def bucketize(check: str, period: str, seconds: int, samples: list[Sample]) -> list[Aggregate]:
    groups: dict[float, list[Sample]] = {}
    for sample in samples:
        groups.setdefault(floor_to(sample.at, seconds), []).append(sample)
    return [aggregate(check, period, start, group) for start, group in sorted(groups.items())]
