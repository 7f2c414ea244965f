"""`humangov orphans daily`: what the scheduled task on AWS runs instead of `serve`'s sweep."""

from __future__ import annotations

import asyncio
import json

from humangov.bootstrap import bootstrap
from humangov.cli.sweep import SWEEP_EVENT
from humangov.config import Settings
from tests.cli.test_cli import humangov


def test_the_daily_sweep_purges_every_state_records_its_runs_and_prints_one_summary_line(
    tmp_path
):
    settings = Settings(data_dir=tmp_path, environment="test")
    container = bootstrap(settings)
    for code in ("CA", "TX"):
        container.personnel.add_state(code)
    container.blobs.put("CA", "ff/orphan.pdf", [b"%PDF-x"])
    container.close()

    result = humangov("orphans", "daily", "--data-dir", tmp_path,
                      env={"HUMANGOV_SWEEP_GRACE": "PT0S"})

    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.stdout.splitlines()] == [{
        "event": SWEEP_EVENT, "states": 2, "orphans": 1, "purged": 1, "dangling": 0,
        "failed": 0}]
    container = bootstrap(settings)
    try:
        runs = {code: container.erasures.ledger.latest_sweep(code) for code in ("CA", "TX")}
        assert (runs["CA"].orphans, runs["CA"].purged, runs["TX"].orphans) == (1, 1, 0)
        assert container.blobs.stat("CA", "ff/orphan.pdf") is None
    finally:
        container.close()


def test_serve_leaves_the_sweep_to_the_scheduler_when_told_to(tmp_path):
    from humangov.erasure.service import ErasureJobs

    settings = Settings(data_dir=tmp_path, environment="test", sweep_schedule="off")
    container = bootstrap(settings)

    async def started_tasks() -> list[str]:
        jobs = ErasureJobs(container.erasures, "w", sweep_every=settings.sweep_interval,
                           sweep_grace=settings.sweep_grace)
        await jobs.start()
        names = [t.get_name() for t in jobs._tasks]
        await jobs.stop()
        return names

    try:
        assert asyncio.run(started_tasks()) == ["erasure-worker"]
    finally:
        container.close()
