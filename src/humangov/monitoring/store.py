"""The run store: every run with its steps and artifacts, summaries, uptime, and retention.

One public interface implemented once, over small per-backend hooks (memory here, SQLite in
`sqlite_store.py`); one contract test suite runs against both. Retention rolls raw runs into
hourly and daily aggregates before deleting them, and deletes their artifact files.
Artifact files (a browser canary's screenshots) have a shorter life of their own: a passing
run's are kept briefly, a failing run's for the raw retention, all under a disk budget.
"""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from humangov.monitoring.results import RunResult, utcnow
from humangov.monitoring.rollup import Aggregate, Sample, aggregate, bucketize, floor_to, merge

HOUR, DAY = 3600, 86400


@dataclass(frozen=True, slots=True)
class CheckSummary:
    check: str
    check_type: str
    last_status: str | None
    last_run_at: datetime | None
    last_error: str
    success_24h: float | None  # percent, None when there were no runs
    runs_24h: int
    p50_ms: float | None
    p95_ms: float | None


@dataclass(frozen=True, slots=True)
class RetentionReport:
    runs_deleted: int
    artifact_files_deleted: int
    rollups_written: int


@dataclass(frozen=True, slots=True)
class ArtifactRun:
    run_id: str
    check: str
    ok: bool
    started_ts: float
    paths: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ArtifactUsage:
    used_bytes: int
    budget_bytes: int
    runs_pruned: int = 0


class RunStore(ABC):
    def __init__(
        self, *, artifacts_dir: Path | None = None, raw_retention: timedelta = timedelta(days=31),
        hourly_retention: timedelta = timedelta(days=400),
        artifacts_keep_passing: timedelta = timedelta(hours=24),
        artifacts_budget: int = 500 * 1024 * 1024,
    ) -> None:
        self.artifacts_dir = Path(artifacts_dir) if artifacts_dir else None
        self.raw_retention = raw_retention
        self.hourly_retention = hourly_retention
        self.artifacts_keep_passing = artifacts_keep_passing
        self.artifacts_budget = artifacts_budget
        self.artifact_usage: ArtifactUsage | None = None  # as the last budget pass left it

    # -- hooks ------------------------------------------------------------------------------
    @abstractmethod
    def save(self, result: RunResult) -> None: ...
    @abstractmethod
    def get_run(self, run_id: str) -> RunResult | None: ...
    @abstractmethod
    def list_runs(
        self, check: str, *, limit: int = 50, cursor: str | None = None
    ) -> tuple[list[RunResult], str | None]: ...
    @abstractmethod
    def check_names(self) -> list[str]: ...
    @abstractmethod
    def _samples(self, check: str, since: float, until: float) -> list[Sample]: ...
    @abstractmethod
    def _rollups(self, check: str, period: str, since: float, until: float) -> list[Aggregate]: ...
    @abstractmethod
    def _put_rollup(self, agg: Aggregate) -> None: ...
    @abstractmethod
    def _get_rollup(self, check: str, period: str, start: float) -> Aggregate | None: ...
    @abstractmethod
    def _expire(self, check: str, before: float) -> tuple[list[Sample], list[str], list[str]]:
        """Delete this check's runs started before `before`; return (their samples, their
        artifact paths, their run ids)."""
    @abstractmethod
    def _drop_rollups(self, period: str, before: float) -> None: ...
    @abstractmethod
    def _artifact_runs(self) -> list[ArtifactRun]:
        """Every run that still has artifact files recorded, oldest first."""
    @abstractmethod
    def _forget_artifacts(self, run_ids: list[str]) -> None:
        """The runs stay; their artifact list becomes empty."""

    # -- shared behaviour -------------------------------------------------------------------
    def summary(self, check: str, now: datetime | None = None) -> CheckSummary:
        now_ts = (now or utcnow()).timestamp()
        last, _ = self.list_runs(check, limit=1)
        samples = self._samples(check, now_ts - DAY, now_ts + 1)
        agg = aggregate(check, "24h", now_ts - DAY, samples)
        run = last[0] if last else None
        return CheckSummary(
            check=check, check_type=run.check_type if run else "",
            last_status=run.status if run else None, last_run_at=run.started_at if run else None,
            last_error=run.error if run else "", success_24h=agg.success_pct, runs_24h=agg.total,
            p50_ms=agg.p50_ms, p95_ms=agg.p95_ms,
        )

    def uptime(
        self, check: str, *, now: datetime | None = None, buckets: int = 24,
        bucket: timedelta = timedelta(hours=1),
    ) -> list[Aggregate]:
        """`buckets` consecutive buckets ending with the current one, oldest first; empty
        buckets have total 0. Raw runs and rollups never overlap (a run is rolled up exactly
        when it is deleted), so both are simply added up."""
        size = int(bucket.total_seconds())
        end = floor_to((now or utcnow()).timestamp(), size) + size
        start = end - buckets * size
        by_start: dict[float, Aggregate] = {
            s: Aggregate(check, "bucket", s, 0, 0, 0.0, None, None, None)
            for s in (start + i * size for i in range(buckets))
        }
        parts = bucketize(check, "bucket", size, self._samples(check, start, end))
        period = "day" if size >= DAY else "hour"
        for agg in self._rollups(check, period, start, end):
            parts.append(Aggregate(check, "bucket", floor_to(agg.start, size), agg.total, agg.ok,
                                   agg.sum_ms, agg.p50_ms, agg.p95_ms, agg.max_ms))
        for part in parts:
            key = floor_to(part.start, size)
            if key in by_start:
                by_start[key] = merge(by_start[key], part) if by_start[key].total else part
        return [by_start[k] for k in sorted(by_start)]

    def apply_retention(self, now: datetime | None = None) -> RetentionReport:
        """Roll up and delete raw runs older than the raw retention (whole hours only, so each
        hourly rollup is written once and exact), then drop hourly rollups past theirs."""
        now_ts = (now or utcnow()).timestamp()
        cutoff = floor_to(now_ts - self.raw_retention.total_seconds(), HOUR)
        runs = files = rollups = 0
        for check in self.check_names():
            samples, paths, run_ids = self._expire(check, cutoff)
            if not samples and not run_ids:
                continue
            runs += len(run_ids)
            for period, size in (("hour", HOUR), ("day", DAY)):
                for agg in bucketize(check, period, size, samples):
                    existing = self._get_rollup(check, period, agg.start)
                    self._put_rollup(merge(existing, agg) if existing else agg)
                    rollups += 1
            files += self._delete_artifacts(check, paths, run_ids)
        self._drop_rollups("hour", now_ts - self.hourly_retention.total_seconds())
        return RetentionReport(runs, files, rollups)

    def apply_artifact_budget(self, now: datetime | None = None) -> ArtifactUsage:
        """Delete passing runs' artifacts older than `artifacts_keep_passing`, then, while the
        rest exceeds `artifacts_budget`, the oldest: passing runs' first, failing runs' only
        when those alone are over the budget (a hard cap: a failure storm must not fill the
        disk)."""
        now_ts = (now or utcnow()).timestamp()
        keep_after = now_ts - self.artifacts_keep_passing.total_seconds()
        runs = self._artifact_runs()
        sizes = {r.run_id: sum(_size(p) for p in r.paths) for r in runs}
        doomed = {r.run_id for r in runs if r.ok and r.started_ts < keep_after}
        used = sum(size for run_id, size in sizes.items() if run_id not in doomed)
        for run in sorted(runs, key=lambda r: (not r.ok, r.started_ts)):
            if used <= self.artifacts_budget:
                break
            if run.run_id not in doomed:
                doomed.add(run.run_id)
                used -= sizes[run.run_id]
        pruned = [r for r in runs if r.run_id in doomed]
        for run in pruned:
            self._delete_artifacts(run.check, list(run.paths), [run.run_id])
        self._forget_artifacts([r.run_id for r in pruned])
        self.artifact_usage = ArtifactUsage(used, self.artifacts_budget, len(pruned))
        return self.artifact_usage

    def current_artifact_usage(self) -> ArtifactUsage:
        """As the last budget pass measured it, or measured now if none ran in this process."""
        if self.artifact_usage is None:
            used = sum(_size(p) for r in self._artifact_runs() for p in r.paths)
            return ArtifactUsage(used, self.artifacts_budget)
        return self.artifact_usage

    def _delete_artifacts(self, check: str, paths: list[str], run_ids: list[str]) -> int:
        deleted = 0
        for path in paths:
            try:
                Path(path).unlink()
                deleted += 1
            except FileNotFoundError:
                pass
        if self.artifacts_dir is not None:
            for run_id in run_ids:
                run_dir = self.artifacts_dir / check / run_id
                if run_dir.is_dir():
                    shutil.rmtree(run_dir, ignore_errors=True)
        return deleted


class MemoryRunStore(RunStore):
    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self._runs: dict[str, dict[str, RunResult]] = {}
        self._by_id: dict[str, RunResult] = {}
        self._agg: dict[tuple[str, str, float], Aggregate] = {}

    def save(self, result: RunResult) -> None:
        self._runs.setdefault(result.check, {})[result.run_id] = result
        self._by_id[result.run_id] = result

    def get_run(self, run_id: str) -> RunResult | None:
        return self._by_id.get(run_id)

    def list_runs(self, check, *, limit=50, cursor=None):
        ids = sorted(self._runs.get(check, {}), reverse=True)
        if cursor:
            ids = [i for i in ids if i < cursor]
        page = [self._runs[check][i] for i in ids[:limit]]
        return page, (page[-1].run_id if len(ids) > limit else None)

    def check_names(self) -> list[str]:
        return sorted(set(self._runs) | {k[0] for k in self._agg})

    def _samples(self, check, since, until):
        return [
            Sample(r.started_at.timestamp(), r.ok, r.duration_ms)
            for r in self._runs.get(check, {}).values()
            if since <= r.started_at.timestamp() < until
        ]

    def _rollups(self, check, period, since, until):
        return [a for (c, p, s), a in sorted(self._agg.items())
                if c == check and p == period and since <= s < until]

    def _put_rollup(self, agg):
        self._agg[(agg.check, agg.period, agg.start)] = agg

    def _get_rollup(self, check, period, start):
        return self._agg.get((check, period, start))

    def _expire(self, check, before):
        runs = self._runs.get(check, {})
        old = [r for r in runs.values() if r.started_at.timestamp() < before]
        for r in old:
            del runs[r.run_id]
            self._by_id.pop(r.run_id, None)
        return (
            [Sample(r.started_at.timestamp(), r.ok, r.duration_ms) for r in old],
            [p for r in old for p in r.artifacts], [r.run_id for r in old],
        )

    def _drop_rollups(self, period, before):
        for key in [k for k in self._agg if k[1] == period and k[2] < before]:
            del self._agg[key]

    def _artifact_runs(self):
        found = [r for r in self._by_id.values() if r.artifacts]
        return [ArtifactRun(r.run_id, r.check, r.ok, r.started_at.timestamp(), r.artifacts)
                for r in sorted(found, key=lambda r: r.started_at)]

    def _forget_artifacts(self, run_ids):
        for run_id in run_ids:
            run = replace(self._by_id[run_id], artifacts=())
            self._by_id[run_id] = self._runs[run.check][run_id] = run


def _size(path: str) -> int:
    try:
        return Path(path).stat().st_size
    except FileNotFoundError:
        return 0


def artifacts_dir_for(data_dir: Path) -> Path:
    return Path(data_dir) / "monitoring" / "artifacts"


def to_utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
