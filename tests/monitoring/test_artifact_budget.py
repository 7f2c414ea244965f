"""Canary artifacts within a budget: passing runs' files kept briefly, failing runs' for the
retention, all under a byte budget with oldest-first eviction (passing first). Memory and
SQLite stores, real files, an injected clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from humangov.monitoring.sqlite_store import SqliteRunStore
from humangov.monitoring.store import MemoryRunStore
from tests.monitoring.test_store import NOW, result

KB = 1024


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request, tmp_path):
    def make(budget: int):
        kw = {"artifacts_dir": tmp_path / "artifacts", "artifacts_budget": budget,
              "artifacts_keep_passing": timedelta(hours=24)}
        if request.param == "memory":
            return MemoryRunStore(**kw)
        return SqliteRunStore(tmp_path / "monitoring.db", **kw)
    return make


def saved(store, tmp_path: Path, age: timedelta, ok: bool, n: int, size: int = 10 * KB):
    run_dir = tmp_path / "artifacts" / "canary" / f"run{n}"
    run_dir.mkdir(parents=True)
    shot = run_dir / "01-login.png"
    shot.write_bytes(b"x" * size)
    run = result(NOW - age, ok=ok, check="canary", artifacts=[str(shot)], n=n)
    store.save(run)
    return run, shot


def test_passing_runs_lose_their_files_after_a_day_failing_runs_keep_theirs(make_store, tmp_path):
    store = make_store(budget=10_000 * KB)
    old_pass, old_pass_shot = saved(store, tmp_path, timedelta(hours=25), True, 1)
    old_fail, old_fail_shot = saved(store, tmp_path, timedelta(days=20), False, 2)
    new_pass, new_pass_shot = saved(store, tmp_path, timedelta(hours=23), True, 3)

    usage = store.apply_artifact_budget(now=NOW)

    assert not old_pass_shot.exists() and old_fail_shot.exists() and new_pass_shot.exists()
    assert store.get_run(old_pass.run_id).artifacts == ()  # the run itself stays
    assert store.get_run(old_fail.run_id).artifacts == (str(old_fail_shot),)
    assert (usage.used_bytes, usage.runs_pruned) == (20 * KB, 1)
    assert store.current_artifact_usage() == usage


def test_over_budget_the_oldest_passing_go_first_then_failing_as_a_hard_cap(
    make_store, tmp_path
):
    store = make_store(budget=25 * KB)
    _, fail_old = saved(store, tmp_path, timedelta(hours=5), False, 1)
    _, pass_old = saved(store, tmp_path, timedelta(hours=4), True, 2)
    _, fail_new = saved(store, tmp_path, timedelta(hours=3), False, 3)
    _, pass_new = saved(store, tmp_path, timedelta(hours=2), True, 4)

    usage = store.apply_artifact_budget(now=NOW)

    # 40 KB over 25 KB: both passing runs go, oldest first, before any failing one.
    assert [p.exists() for p in (fail_old, pass_old, fail_new, pass_new)] == [
        True, False, True, False]
    assert usage.used_bytes == 20 * KB <= usage.budget_bytes

    store.artifacts_budget = 15 * KB  # failing runs alone over the budget: oldest of them go
    usage = store.apply_artifact_budget(now=NOW)
    assert (fail_old.exists(), fail_new.exists(), usage.used_bytes) == (False, True, 10 * KB)


def test_usage_is_measured_when_no_budget_pass_ran_yet(make_store, tmp_path):
    store = make_store(budget=1_000 * KB)
    saved(store, tmp_path, timedelta(hours=1), True, 1, size=3 * KB)
    saved(store, tmp_path, timedelta(hours=2), False, 2, size=4 * KB)
    usage = store.current_artifact_usage()
    assert (usage.used_bytes, usage.budget_bytes) == (7 * KB, 1_000 * KB)
