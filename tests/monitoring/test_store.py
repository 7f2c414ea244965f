"""The run store contract, against memory and SQLite: pagination, summaries, uptime,
retention with rollups, artifact deletion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from humangov.monitoring.results import RunResult, StepResult
from humangov.monitoring.sqlite_store import SqliteRunStore
from humangov.monitoring.store import MemoryRunStore
from tests.contract.test_sqlite_database import head, revision

NOW = datetime(2024, 6, 1, 12, 30, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    kw = {"artifacts_dir": tmp_path / "artifacts", "raw_retention": timedelta(days=31)}
    if request.param == "memory":
        return MemoryRunStore(**kw)
    return SqliteRunStore(tmp_path / "monitoring.db", **kw)


def result(at: datetime, ok=True, ms=100.0, check="hb", artifacts=(), n=0):
    run_id = f"{int(at.timestamp() * 1000):013d}-{n:08x}"
    step = StepResult("request", "ok" if ok else "fail", ms, "" if ok else "boom")
    return RunResult(check=check, check_type="heartbeat", status="ok" if ok else "fail",
                     started_at=at, duration_ms=ms, steps=(step,),
                     error="" if ok else "boom", failing_step=None if ok else "request",
                     artifacts=tuple(artifacts), run_id=run_id)


def test_runs_are_listed_newest_first_across_pages(store):
    for i in range(5):
        store.save(result(NOW - timedelta(minutes=i), n=i))
    first, cursor = store.list_runs("hb", limit=2)
    second, cursor2 = store.list_runs("hb", limit=2, cursor=cursor)
    third, end = store.list_runs("hb", limit=2, cursor=cursor2)
    times = [r.started_at for r in first + second + third]
    assert times == sorted(times, reverse=True) and len(times) == 5 and end is None
    assert first[0].steps == (StepResult("request", "ok", 100.0, ""),)
    assert store.get_run(first[0].run_id) == first[0]


def test_the_summary_gives_last_status_success_rate_and_latency_percentiles(store):
    for i in range(20):
        store.save(
            result(NOW - timedelta(minutes=20 - i), ok=i % 4 != 0, ms=float(10 * (i + 1)), n=i)
        )
    store.save(result(NOW - timedelta(days=2), ok=False, n=99))  # outside the 24 h window
    summary = store.summary("hb", now=NOW)
    assert (summary.last_status, summary.runs_24h, summary.success_24h) == ("ok", 20, 75.0)
    assert summary.p50_ms == 110.0 and summary.p95_ms == 200.0


def test_uptime_buckets_cover_every_hour_including_empty_ones(store):
    store.save(result(NOW - timedelta(hours=2), ok=False, n=1))
    store.save(result(NOW - timedelta(hours=2, minutes=1), ok=True, n=2))
    buckets = store.uptime("hb", now=NOW, buckets=4)
    assert [b.total for b in buckets] == [0, 2, 0, 0]
    assert buckets[1].success_pct == 50.0


def test_retention_rolls_old_runs_up_and_deletes_them_with_their_artifacts(store, tmp_path):
    old_at = NOW - timedelta(days=40)
    run_dir = tmp_path / "artifacts" / "hb" / result(old_at, n=1).run_id
    run_dir.mkdir(parents=True)
    shot = run_dir / "01-login.png"
    shot.write_bytes(b"png")
    store.save(result(old_at, ok=True, ms=100, artifacts=[str(shot)], n=1))
    store.save(result(old_at + timedelta(minutes=1), ok=False, ms=300, n=2))
    store.save(result(NOW - timedelta(days=1), n=3))

    report = store.apply_retention(now=NOW)

    assert report.runs_deleted == 2 and report.artifact_files_deleted == 1
    assert not shot.exists() and not run_dir.exists()
    remaining, _ = store.list_runs("hb")
    assert [r.run_id for r in remaining] == [result(NOW - timedelta(days=1), n=3).run_id]
    daily = store.uptime("hb", now=NOW, buckets=45, bucket=timedelta(days=1))
    rolled = [b for b in daily if b.total and b.start_at.date() == old_at.date()]
    assert rolled
    assert (rolled[0].total, rolled[0].success_pct, rolled[0].p50_ms) == (2, 50.0, 100)
    assert store.apply_retention(now=NOW).runs_deleted == 0  # idempotent


def test_the_sqlite_schema_is_versioned_and_reopening_keeps_data(tmp_path):
    first = SqliteRunStore(tmp_path / "m.db")
    first.save(result(NOW))
    first.close()
    again = SqliteRunStore(tmp_path / "m.db")
    assert revision(again.engine) == head("monitoring") and len(again.list_runs("hb")[0]) == 1
