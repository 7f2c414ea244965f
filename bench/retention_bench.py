"""Issue 16's retention figures: `humangov retention run` over a state of RETENTION_ROWS
employees (1,000,000 by default) of which 1% are due, wall time and peak memory, beside the
orphan sweep over the same number of employees measured in the same run.

    BENCH_ONLY=retention python -m bench      (RETENTION_ROWS=10000 for a quick run)

The state is the sweep's own cached dataset (bench/erasure_bench.py: every employee a record
with a document file, 1% orphan files), so both figures are of the same state on the same
machine. Retention runs on a copy of its database in which every hundredth employee was
separated in 2015 (due: the schedule keeps records 7 years) and another hundredth in 2026
(not due), marked by direct SQL. Each run is a `humangov retention run` subprocess, timed from
start to exit; its memory is the subprocess's peak RSS (`ru_maxrss` from wait4), which
includes the interpreter and its imports.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import erasure_bench

ROWS = int(os.environ.get("RETENTION_ROWS", "1000000"))
STATE = erasure_bench.STATE
ROOT = Path(__file__).resolve().parent.parent


def prepare(sweep_root: Path, data: Path) -> int:
    """A data directory holding a copy of the sweep dataset's records, 1% of them due and 1%
    separated but not yet due, under a schedule of documents 3 years, records 7; returns how
    many are due."""
    from humangov.bootstrap import bootstrap
    from humangov.config import Settings
    from humangov.domain.auth import Principal

    data.mkdir(parents=True)
    with sqlite3.connect(sweep_root / "humangov.db") as src, \
            sqlite3.connect(data / "humangov.db") as dst:
        src.backup(dst)
    db = sqlite3.connect(data / "humangov.db", isolation_level=None)
    db.execute("BEGIN")
    due = db.execute("UPDATE employees SET separated_on = '2015-06-30', "
                     "separation_reason = 'resigned' WHERE rowid % 100 = 0").rowcount
    db.execute("UPDATE employees SET separated_on = '2026-06-30', "
               "separation_reason = 'resigned' WHERE rowid % 100 = 50")
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()
    c = bootstrap(Settings(data_dir=data, monitoring=False, environment="test"))
    c.retention.set(STATE, 3, 7, Principal("bench", "admin"))
    c.close()
    return due


def retention_run(data: Path, *extra: str, command: str = "run") -> dict:
    """`humangov retention run` in a subprocess: wall seconds, peak RSS, items it named."""
    command_line = [sys.executable, "-m", "humangov", "retention", command, "--state", STATE,
                    "--format", "json", "--data-dir", str(data), *extra]
    env = {**os.environ, "HUMANGOV_MONITORING": "false"}
    # Output to files, not pipes, so this process reaps the child itself (wait4 gives its
    # rusage) without a full pipe ever stalling it.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        child = subprocess.Popen(command_line, env=env, cwd=ROOT, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode:
            raise RuntimeError(f"retention run failed: {err.read().decode()[-2000:]}")
        items = sum(1 for _ in out)
    return {"seconds": seconds, "items": items, "peak_rss_mb": usage.ru_maxrss / 1024}


def main() -> None:
    t0 = time.perf_counter()
    sweep_root = erasure_bench.dataset(ROWS)
    print(f"dataset {sweep_root} ready in {time.perf_counter() - t0:.0f} s ({ROWS:,} employees "
          "with a document each, 1% orphan files)", flush=True)
    with tempfile.TemporaryDirectory(dir=erasure_bench.OUT) as tmp:
        data = Path(tmp) / "retention"
        t0 = time.perf_counter()
        due = prepare(sweep_root, data)
        print(f"copied and marked {due:,} due, {due:,} separated not yet due, in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
        # The fixed cost of any command: start, imports, opening the databases.
        base = retention_run(data, command="show")
        dry = retention_run(data, "--dry-run")
        run = retention_run(data)
        shutil.rmtree(data / "documents", ignore_errors=True)
    sweep = erasure_bench.run_child(sweep_root, "merge", 0)
    print(f"baseline, retention show (start, imports, opening the databases): "
          f"{base['seconds']:.1f} s wall, peak RSS {base['peak_rss_mb']:.0f} MB")
    for label, r in (("retention run --dry-run", dry), ("retention run", run)):
        print(f"{label}: {ROWS:,} employees, {r['items']:,} items of {due:,} due, "
              f"{r['seconds']:.1f} s wall (process start to exit), peak RSS "
              f"{r['peak_rss_mb']:.0f} MB", flush=True)
    print(f"beside it, the orphan sweep over the same {ROWS:,} employees: "
          f"{sweep['objects']:,} objects in {sweep['seconds']:.2f} s = "
          f"{sweep['objects_per_s']:,.0f} objects/s, peak PSS summed over its "
          f"{sweep['processes']} processes {sweep['peak_pss_mb']:.0f} MB (main process peak RSS "
          f"{sweep['peak_rss_mb']:.0f} MB)")


if __name__ == "__main__":
    main()
