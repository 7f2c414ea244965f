"""The SQLite database itself: migrations and sharing the file between processes."""

from __future__ import annotations

import re
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


def schema_drift(engine: sqlalchemy.Engine, metadata: sqlalchemy.MetaData) -> list:
    """How the migrated database differs from `metadata`, for the tables `metadata` defines."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        diffs = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_server_default": True}), metadata)
    # Other modules' tables are theirs to check.
    ours = set(metadata.tables)
    drift = [d for d in diffs if not (d[0] == "remove_table" and d[1].name not in ours)
             and not (d[0] == "remove_index" and d[1].table.name not in ours)]
    # Alembic compares neither collations nor unnamed UNIQUE constraints on SQLite, and the
    # inspector reflects no collation, so those two are read from the stored DDL and
    # compared here.
    inspector = sqlalchemy.inspect(engine)
    for table in metadata.tables.values():
        if not inspector.has_table(table.name):
            continue
        declared = {c.name: getattr(c.type, "collation", None) for c in table.columns}
        stored = stored_collations(engine, table.name)
        drift += [("collation", table.name, name, stored.get(name), collation)
                  for name, collation in declared.items()
                  if name in stored and (collation or "").upper() != (stored[name] or "").upper()]
        declared_unique = sorted(sorted(c.name for c in u.columns) for u in table.constraints
                                 if isinstance(u, sqlalchemy.UniqueConstraint))
        stored_unique = sorted(sorted(u["column_names"])
                               for u in inspector.get_unique_constraints(table.name))
        if declared_unique != stored_unique:
            drift.append(("unique", table.name, stored_unique, declared_unique))
    return drift


def stored_collations(engine: sqlalchemy.Engine, table: str) -> dict[str, str | None]:
    """Each column's COLLATE clause as SQLite keeps it, in the table's CREATE TABLE text."""
    with engine.connect() as conn:
        ddl = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar()
    body = ddl[ddl.index("(") + 1:ddl.rindex(")")]
    parts, depth, current = [], 0, ""
    for char in body:  # split at top-level commas only: VARCHAR(10) or DEFAULT (a, b) nest
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    collations = {}
    for part in parts:
        match = re.match(r'\s*["`\[]?(\w+)["`\]]?\s', part)
        if match and match[1].upper() not in {"PRIMARY", "UNIQUE", "FOREIGN", "CONSTRAINT", "CHECK"}:
            collate = re.search(r'COLLATE\s+["`\[]?(\w+)', part, re.IGNORECASE)
            collations[match[1]] = collate[1] if collate else None
    return collations


def test_the_migrated_schema_matches_the_table_definitions(tmp_path):
    from humangov.adapters.metadata import metadata

    # GIVEN a database migrated to head
    engine = open_database(tmp_path / "humangov.db")
    # WHEN it is compared with the tables the adapters query
    drift = schema_drift(engine, metadata)
    engine.dispose()
    # THEN nothing differs
    assert drift == [], "metadata.py changed without a migration: add one under migrations/versions"


def _add_column(md):
    md.tables["employees"].append_column(sqlalchemy.Column("nickname", sqlalchemy.String))


def _drop_collation(md):
    md.tables["employees"].c.last_name.type = sqlalchemy.String()


def _change_server_default(md):
    md.tables["erasure_outbox"].c.status.server_default = sqlalchemy.DefaultClause(
        sqlalchemy.text("'done'"))


def _drop_unique(md):
    users = md.tables["users"]
    users.constraints -= {c for c in users.constraints if isinstance(c, sqlalchemy.UniqueConstraint)}


def _narrow_index(md):
    employees = md.tables["employees"]
    employees.indexes -= {i for i in employees.indexes if i.name == "ix_employees_doc_key"}
    sqlalchemy.Index("ix_employees_doc_key", employees.c.state, employees.c.doc_key)


@pytest.mark.parametrize("change", [_add_column, _drop_collation, _change_server_default,
                                    _drop_unique, _narrow_index])
def test_a_table_definition_changed_without_a_migration_is_reported(tmp_path, change):
    from humangov.adapters.metadata import metadata

    # GIVEN a migrated database and table definitions edited after the migrations were written
    engine = open_database(tmp_path / "humangov.db")
    edited = sqlalchemy.MetaData()
    for table in metadata.tables.values():
        table.to_metadata(edited)
    change(edited)
    # WHEN the two are compared
    drift = schema_drift(engine, edited)
    engine.dispose()
    # THEN the change is reported (the migrations froze the schema; they do not follow metadata)
    assert drift != []


def test_migrations_do_not_import_the_live_table_definitions():
    # A migration that imports metadata.py would silently change what it creates when
    # metadata.py changes, so old and new databases would differ.
    import ast
    from pathlib import Path

    import humangov.migrations

    versions = Path(humangov.migrations.__path__[0]) / "versions"
    for path in sorted(versions.glob("*.py")):
        tree = ast.parse(path.read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                     for a in node.names}
        assert not {m for m in imported if m and m.startswith("humangov")}, path.name


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
