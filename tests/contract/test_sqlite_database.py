"""The SQLite database itself: migrations and sharing the file between processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy

from humangov.adapters.records.sqlite import SqliteRecordStore
from humangov.adapters.sql import open_database
from humangov.domain.errors import StorageUnavailable
from humangov.domain.model import Employee, HistoryEntry
from humangov.domain.states import state_for

WRITER = textwrap.dedent("""
    import sys, uuid
    from datetime import UTC, datetime
    from decimal import Decimal
    from pathlib import Path
    from humangov.adapters.records.sqlite import SqliteRecordStore
    from humangov.adapters.sql import open_database
    from humangov.domain.model import Employee, HistoryEntry
    store = SqliteRecordStore(open_database(Path(sys.argv[1])))
    now = datetime.now(UTC)
    for i in range(int(sys.argv[2])):
        e = Employee(str(uuid.uuid4()), "CA", f"Writer{i}", "Proc", "Clerk", Decimal("1.00"),
                     None, now, now)
        store.add_employee(e, HistoryEntry(e.id, "CA", "added", "cli", now))
    print("done")
""")


def person(first: str) -> Employee:
    now = datetime.now(UTC)
    return Employee(str(uuid.uuid4()), "CA", first, "Test", "Clerk", Decimal("1.00"), None, now, now)


def test_opening_a_database_migrates_it_once_however_many_start_together(tmp_path):
    path = tmp_path / "data" / "humangov.db"
    engines: list[sqlalchemy.Engine] = []
    threads = [threading.Thread(target=lambda: engines.append(open_database(path))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(engines) == 4
    with engines[0].connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() is not None
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    for engine in engines:
        engine.dispose()


@pytest.mark.slow
def test_another_process_can_write_while_this_one_reads_and_writes(tmp_path):
    # GIVEN a database this process has open
    path = tmp_path / "humangov.db"
    engine = open_database(path)
    store = SqliteRecordStore(engine)
    store.add_state(state_for("CA"))
    # WHEN a second process (the CLI, say) writes 200 records while we read and write
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), "200"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    mine = 0
    while writer.poll() is None:
        store.list_employees("CA", q=None, limit=50, cursor=None)
        e = person(f"Mine{mine}")
        store.add_employee(e, HistoryEntry(e.id, "CA", "added", "web", e.created_at))
        mine += 1
    out, err = writer.communicate(timeout=60)
    # THEN neither side failed and every record of both is there
    assert writer.returncode == 0, err
    assert out.strip() == "done"
    assert sum(1 for _ in store.iter_employees("CA")) == 200 + mine
    engine.dispose()


def test_ping_reports_an_unusable_database_as_storage_unavailable(tmp_path):
    engine = open_database(tmp_path / "humangov.db")
    store = SqliteRecordStore(engine)
    store.ping()
    (tmp_path / "humangov.db").unlink()
    (tmp_path / "humangov.db").mkdir()  # the file is gone and nothing can reopen it
    engine.dispose()
    with pytest.raises(StorageUnavailable):
        store.ping()


def test_the_migrated_schema_matches_the_table_definitions(tmp_path):
    # GIVEN a database migrated to head
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from humangov.adapters.metadata import metadata

    engine = open_database(tmp_path / "humangov.db")
    # WHEN Alembic compares it with the tables the adapters query
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    # THEN nothing differs for those tables (other modules' tables are theirs to check)
    ours = set(metadata.tables)
    drift = [d for d in diffs if not (d[0] == "remove_table" and d[1].name not in ours)
             and not (d[0] == "remove_index" and d[1].table.name not in ours)]
    assert drift == [], "metadata.py changed without a migration: add one under migrations/versions"


def test_threads_can_read_and_write_through_one_engine(tmp_path):
    # GIVEN one store (one engine) shared by a web server's worker threads
    engine = open_database(tmp_path / "humangov.db")
    store = SqliteRecordStore(engine)
    store.add_state(state_for("CA"))
    seed = [person(f"Seed{i}") for i in range(20)]
    store.add_employees(seed, [HistoryEntry(e.id, "CA", "added", "t", e.created_at) for e in seed])

    def reader():
        for i in range(100):
            assert store.get_employee("CA", seed[i % 20].id) == seed[i % 20]
            assert len(store.list_employees("CA", q=None, limit=10, cursor=None).items) == 10

    def writer(n: int):
        for i in range(25):
            e = person(f"W{n}-{i}")
            store.add_employee(e, HistoryEntry(e.id, "CA", "added", "t", e.created_at))

    # WHEN six readers and two writers run at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(reader) for _ in range(6)] + [pool.submit(writer, n) for n in range(2)]
    # THEN nobody failed (result() re-raises a thread's error) and every write landed
    for future in futures:
        future.result()
    assert sum(1 for _ in store.iter_employees("CA")) == 20 + 50
    engine.dispose()
