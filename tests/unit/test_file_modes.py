"""Every file HumanGov keeps on one machine is its owner's alone (0600, folders 0700), even
under the common umask 022: the databases with their -wal and -shm, the documents, the
monitoring data and artifacts, and the secrets."""

from __future__ import annotations

import io
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from humangov.bootstrap import bootstrap
from humangov.bootstrap.serve import ensure_canary_credentials
from humangov.config import Settings
from humangov.monitoring.alarms.store import AlarmStore
from humangov.monitoring.results import RunContext, RunResult
from humangov.monitoring.sqlite_store import SqliteRunStore
from humangov.monitoring.store import artifacts_dir_for
from tests.conftest import PDF


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode)
            for p in [root, *root.rglob("*")]}


def test_data_files_are_0600_and_folders_0700_under_umask_022(tmp_path, umask_022):
    data = tmp_path / "var"
    settings = Settings(environment="test", data_dir=data, monitoring=False)
    container = bootstrap(settings)
    try:
        container.personnel.add_state("CA")
        container.personnel.add_employee(
            "CA", {"first_name": "Ada", "last_name": "Lovelace", "role": "Analyst",
                   "salary": "1"}, io.BytesIO(PDF), "t")
        settings.session_secret()
        ensure_canary_credentials(container, "CA")
        runs = SqliteRunStore(data / "monitoring.db",
                              artifacts_dir=artifacts_dir_for(data))
        runs.save(RunResult("readyz", "ok", datetime.now(UTC), 1.0, run_id="1-a"))
        alarms = AlarmStore.open(data / "alarms.db")
        RunContext("browser", "1-a", artifacts_dir_for(data)).run_dir()  # files: test_browser
        found = modes(data)
        runs.engine.dispose()
        alarms.engine.dispose()
    finally:
        container.close()
    # THEN while the databases are open (their -wal and -shm exist) nothing is shared
    assert {"humangov.db-wal", "humangov.db-shm", "monitoring.db", "alarms.db"} <= set(found)
    assert len([name for name in found if name.startswith("documents/CA/")]) >= 2
    assert "monitoring/artifacts/browser/1-a" in found
    shared = {name: oct(mode) for name, mode in found.items() if mode not in (0o600, 0o700)}
    assert shared == {}
    folders = {name for name in found if (data / name).is_dir()}
    assert all(found[name] == 0o700 for name in folders)
