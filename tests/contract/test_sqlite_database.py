"""The SQLite files themselves: migrations, upgrading a release's data directory, and sharing
a file between processes."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import tarfile
import textwrap
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy

from humangov.adapters.metadata import metadata as humangov_tables
from humangov.adapters.records.sqlite import SqliteRecordStore
from humangov.adapters.sql import alembic_config, open_database, open_sqlite
from humangov.bootstrap import bootstrap
from humangov.config import Settings
from humangov.domain.errors import StorageUnavailable
from humangov.domain.model import Employee, HistoryEntry
from humangov.domain.states import state_for
from humangov.monitoring.alarms.store import AlarmStore
from humangov.monitoring.alarms.store import metadata as alarm_tables
from humangov.monitoring.sqlite_store import SqliteRunStore
from humangov.monitoring.sqlite_store import metadata as monitoring_tables
from humangov.monitoring.store import artifacts_dir_for

# Each SQLite file, by its alembic.ini section, with the tables its adapters query.
TABLES = {"humangov": humangov_tables, "monitoring": monitoring_tables, "alarms": alarm_tables}
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

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
    return Employee(str(uuid.uuid4()), "CA", first, "Test", "Clerk", Decimal("1.00"), None,
                    now, now)


def test_opening_a_database_migrates_it_once_however_many_start_together(tmp_path):
    path = tmp_path / "data" / "humangov.db"
    engines: list[sqlalchemy.Engine] = []
    threads = [threading.Thread(target=lambda: engines.append(open_database(path)))
               for _ in range(4)]
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
    """How the migrated database differs from `metadata`: a table or index on one side only
    counts too, since `metadata` declares every table of its file."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        drift = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_server_default": True}), metadata)
    # Alembic compares neither collations nor unnamed UNIQUE constraints on SQLite, and the
    # inspector reflects no collation, so those two are read from the stored DDL and
    # compared here. Nor does the inspector read ON DELETE from a column's REFERENCES clause
    # (monitoring.db's), so foreign keys are compared here from SQLite's own list instead.
    # (A column's changes come as a list of tuples, the rest as tuples.)
    drift = [d for d in drift if not (isinstance(d, tuple) and d[0] in {"add_fk", "remove_fk"})]
    inspector = sqlalchemy.inspect(engine)
    for table in metadata.tables.values():
        if not inspector.has_table(table.name):
            continue
        declared_fks = sorted(
            (tuple(c.name for c in fk.columns), fk.referred_table.name,
             tuple(e.column.name for e in fk.elements), (fk.ondelete or "NO ACTION").upper())
            for fk in table.foreign_key_constraints)
        if declared_fks != stored_foreign_keys(engine, table.name):
            drift.append(("foreign_keys", table.name, stored_foreign_keys(engine, table.name),
                          declared_fks))
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


def stored_foreign_keys(engine: sqlalchemy.Engine, table: str) -> list[tuple]:
    """(columns, referred table, referred columns, ON DELETE) of each of the table's keys."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f'PRAGMA foreign_key_list("{table}")').mappings().all()
    keys: dict[int, list] = {}
    for row in sorted(rows, key=lambda r: (r["id"], r["seq"])):
        keys.setdefault(row["id"], []).append(row)
    return sorted((tuple(r["from"] for r in key), key[0]["table"], tuple(r["to"] for r in key),
                   key[0]["on_delete"].upper()) for key in keys.values())


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
    constraint_words = {"PRIMARY", "UNIQUE", "FOREIGN", "CONSTRAINT", "CHECK"}
    for part in parts:
        match = re.match(r'\s*["`\[]?(\w+)["`\]]?\s', part)
        if match and match[1].upper() not in constraint_words:
            collate = re.search(r'COLLATE\s+["`\[]?(\w+)', part, re.IGNORECASE)
            collations[match[1]] = collate[1] if collate else None
    return collations


def revision(engine: sqlalchemy.Engine) -> str:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()


def head(schema: str) -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(schema)).get_current_head()


@pytest.mark.parametrize("schema", TABLES)
def test_the_migrated_schema_matches_the_table_definitions(tmp_path, schema):
    # GIVEN a database migrated to head
    engine = open_sqlite(tmp_path / f"{schema}.db", schema)
    # WHEN it is compared with the tables the adapters query
    drift = schema_drift(engine, TABLES[schema])
    at = revision(engine)
    engine.dispose()
    # THEN nothing differs
    assert at == head(schema)
    assert drift == [], (
        f"the {schema} tables changed without a migration: add one (docs/architecture.md)")


@pytest.mark.parametrize("schema", TABLES)
def test_alembic_by_hand_compares_against_the_tables_the_adapters_query(schema):
    # `alembic revision --autogenerate` diffs the MetaData its ini section names.
    import importlib

    module, _, name = alembic_config(schema).get_main_option("target_metadata").partition(":")
    assert getattr(importlib.import_module(module), name) is TABLES[schema]


def _add_column(md):
    md.tables["employees"].append_column(sqlalchemy.Column("nickname", sqlalchemy.String))


def _drop_collation(md):
    md.tables["employees"].c.last_name.type = sqlalchemy.String()


def _change_server_default(md):
    md.tables["erasure_outbox"].c.status.server_default = sqlalchemy.DefaultClause(
        sqlalchemy.text("'done'"))


def _drop_unique(md):
    users = md.tables["users"]
    users.constraints -= {
        c for c in users.constraints if isinstance(c, sqlalchemy.UniqueConstraint)}


def _narrow_index(md):
    employees = md.tables["employees"]
    employees.indexes -= {i for i in employees.indexes if i.name == "ix_employees_doc_key"}
    sqlalchemy.Index("ix_employees_doc_key", employees.c.state, employees.c.doc_key)


def _widen_receipt_key(md):
    receipts = md.tables["erasure_receipts"]
    receipts.constraints -= {
        c for c in receipts.constraints if isinstance(c, sqlalchemy.UniqueConstraint)}
    receipts.append_constraint(sqlalchemy.UniqueConstraint("change_id", "key", "state"))


def _change_type(md):
    md.tables["runs"].c.duration_ms.type = sqlalchemy.Integer()


def _drop_default(md):
    md.tables["runs"].c.trigger.server_default = None


def _drop_cascade(md):
    [key] = md.tables["steps"].foreign_key_constraints
    key.ondelete = None


def _drop_table(md):
    md.remove(md.tables["rollups"])


def _make_nullable(md):
    md.tables["alarm_outbox"].c.channel.nullable = True


def _drop_unnamed_unique(md):
    events = md.tables["alarm_events"]
    events.constraints -= {
        c for c in events.constraints if isinstance(c, sqlalchemy.UniqueConstraint)}
    events.c.dedupe_key.unique = False


def _drop_index(md):
    outbox = md.tables["alarm_outbox"]
    outbox.indexes -= {i for i in outbox.indexes if i.name == "ix_outbox_channel_status"}


@pytest.mark.parametrize(("schema", "change"), [
    ("humangov", _add_column), ("humangov", _drop_collation), ("humangov", _change_server_default),
    ("humangov", _drop_unique), ("humangov", _narrow_index), ("humangov", _widen_receipt_key),
    ("monitoring", _change_type), ("monitoring", _drop_default), ("monitoring", _drop_table),
    ("monitoring", _drop_cascade),
    ("alarms", _make_nullable), ("alarms", _drop_unnamed_unique), ("alarms", _drop_index),
])
def test_a_table_definition_changed_without_a_migration_is_reported(tmp_path, schema, change):
    # GIVEN a migrated database and table definitions edited after the migrations were written
    engine = open_sqlite(tmp_path / f"{schema}.db", schema)
    edited = sqlalchemy.MetaData()
    for table in TABLES[schema].tables.values():
        table.to_metadata(edited)
    change(edited)
    # WHEN the two are compared
    drift = schema_drift(engine, edited)
    engine.dispose()
    # THEN the change is reported (the migrations froze the schema; they do not follow metadata)
    assert drift != []


def rows(path: Path, like: dict[str, list[dict]] | None = None) -> dict[str, list[dict]]:
    """Every row of every table, but the version markers, read without the app's code.
    With `like`, only the tables and columns it has (a later revision may add both)."""
    with closing(sqlite3.connect(path)) as db:
        db.row_factory = sqlite3.Row
        tables = [name for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT IN ('alembic_version', 'schema_version') ORDER BY name")
            if like is None or name in like]  # a later table may have no rowid to order by
        out = {table: [dict(r) for r in db.execute(f'SELECT * FROM "{table}" ORDER BY rowid')]
               for table in tables}
    if like is None:
        return out
    # Tables a later revision adds are not part of the comparison.
    return {table: [{c: row[c] for c in like[table][0]} for row in out[table]]
            if like[table] else out[table] for table in out if table in like}


def test_a_data_directory_of_the_previous_release_upgrades_in_place_on_start(tmp_path):
    # GIVEN a data directory the previous release wrote (tests/fixtures/make_release_data_dir.py):
    # monitoring.db versioned by its own table, alarms.db by none
    with tarfile.open(FIXTURES / "release-0.1-data-dir.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    files = {schema: tmp_path / f"{schema}.db" for schema in TABLES}
    before = {schema: rows(path) for schema, path in files.items()}
    assert all(before[schema][table] for schema, table in [
        ("humangov", "employees"), ("humangov", "erasure_outbox"), ("humangov", "erasure_receipts"),
        ("monitoring", "runs"), ("alarms", "alarm_states"), ("alarms", "alarm_events")])
    # WHEN the app starts on it: the container, the run store and the alarm store
    container = bootstrap(Settings(environment="test", data_dir=tmp_path))
    runs = SqliteRunStore(tmp_path / "monitoring.db", artifacts_dir=artifacts_dir_for(tmp_path))
    alarms = AlarmStore.open(files["alarms"])
    records = open_database(files["humangov"], migrate_to_head=False)
    try:
        # THEN each file is at its head, its tables as declared, and every row is still there
        for schema, engine in [("humangov", records), ("monitoring", runs.engine),
                               ("alarms", alarms.engine)]:
            assert (revision(engine), schema_drift(engine, TABLES[schema])) == (head(schema), [])
            assert rows(files[schema], like=before[schema]) == before[schema], schema
        # AND the app reads them: the employee, its document, the queued erasure, the run, the alarm
        [employee] = container.personnel.list_employees("CA").items
        _, chunks = container.personnel.open_document("CA", employee.id)
        assert b"".join(chunks).startswith(b"%PDF") and employee.last_name == "Lovelace"
        assert container.outbox.pending_count("CA") == 1
        # AND receipts written before the synthetic flag existed are the state's own
        receipts, _ = container.erasures.receipts("CA", limit=10, synthetic=False)
        assert len(receipts) == len(before["humangov"]["erasure_receipts"])
        assert [r.steps[0].error for r in runs.list_runs("web")[0]] == ["refused"]
        assert alarms.load_state("web").state == "ALARM" and len(alarms.events()) == 1
    finally:
        records.dispose()
        container.close()
        runs.close()
        alarms.close()


def test_migrations_do_not_import_the_live_table_definitions():
    # A migration that imports metadata.py would silently change what it creates when
    # metadata.py changes, so old and new databases would differ.
    import ast

    import humangov.migrations

    migrations = Path(humangov.migrations.__path__[0])
    revisions = {schema: sorted((migrations / schema).glob("*.py")) for schema in TABLES}
    assert all(revisions.values())
    for path in (path for paths in revisions.values() for path in paths):
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
    seed = store.add_employees(
        seed, [HistoryEntry(e.id, "CA", "added", "t", e.created_at) for e in seed])

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
        futures = ([pool.submit(reader) for _ in range(6)]
                   + [pool.submit(writer, n) for n in range(2)])
    # THEN nobody failed (result() re-raises a thread's error) and every write landed
    for future in futures:
        future.result()
    assert sum(1 for _ in store.iter_employees("CA")) == 20 + 50
    engine.dispose()


def test_the_search_migration_indexes_the_employees_already_stored(tmp_path):
    from alembic import command

    # GIVEN a database at the revision before search, with an employee in it
    path = tmp_path / "humangov.db"
    engine = open_database(path, migrate_to_head=False)
    with engine.begin() as connection:
        config = alembic_config("humangov")
        config.attributes["connection"] = connection
        command.upgrade(config, "0007")
    store = SqliteRecordStore(engine)
    store.add_state(state_for("CA"))
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO employees (id, state, first_name, last_name, role, salary_cents, "
            "created_at, updated_at, version) VALUES ('e1', 'CA', 'José', 'O''Brien', 'Clerk', "
            "100, '2026-01-01', '2026-01-01', 1)")
    engine.dispose()
    # WHEN it is opened by this release (migrated to head)
    engine = open_database(path)
    # THEN search finds the employee stored before
    found = SqliteRecordStore(engine).list_employees("CA", q="jose obri", limit=5, cursor=None)
    assert [e.id for e in found.items] == ["e1"]
    engine.dispose()


def test_search_reads_indexes_only_and_each_employee_by_its_rowid(tmp_path):
    from humangov.adapters.records.sqlite import OTHER_WORD, ROW, SEARCH

    engine = open_database(tmp_path / "humangov.db")
    store = SqliteRecordStore(engine)
    store.add_state(state_for("CA"))
    people = [person(f"P{i}") for i in range(200)]
    store.add_employees(people, [])
    with closing(sqlite3.connect(tmp_path / "humangov.db")) as db:
        db.execute("ANALYZE")  # plans as a store with statistics would make them
        plans = [
            db.execute("EXPLAIN QUERY PLAN " + SEARCH.format(
                columns=columns, synthetic="AND s.synthetic = 0 ", others=OTHER_WORD * 2),
                ("CA", 0, "p", "q", 1, *"abcd", *"wxyz", 5)).fetchall()
            for columns in (ROW, "e.json")
        ]
    steps = [row[3] for plan in plans for row in plan]
    assert not [s for s in steps if s.startswith("SCAN") or "TEMP B-TREE" in s], steps
    # One descent of the table's B-tree per match, not two through the id index.
    assert steps.count("SEARCH e USING INTEGER PRIMARY KEY (rowid=?)") == 2, steps
    engine.dispose()


def test_the_position_of_a_pages_last_match_is_read_through_the_employees_entries(tmp_path):
    from humangov.adapters.records.sqlite import SEARCH_POSITION

    engine = open_database(tmp_path / "humangov.db")
    store = SqliteRecordStore(engine)
    store.add_state(state_for("CA"))
    store.add_employees([person(f"P{i}") for i in range(200)], [])
    with closing(sqlite3.connect(tmp_path / "humangov.db")) as db:
        db.execute("ANALYZE")
        plan = db.execute("EXPLAIN QUERY PLAN " + SEARCH_POSITION,
                          ("e1", "p", "q", "CA", 0, 1)).fetchall()
    steps = [row[3] for row in plan]
    # The employee's few entries from the word on, never a scan of the state's entries.
    assert [s for s in steps if "ix_employee_search_employee (employee_id=? AND word>? AND word<?)"
            in s] and not [s for s in steps if s.startswith("SCAN")], steps
    engine.dispose()


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("has_position", [False, True])
@pytest.mark.parametrize("has_role", [False, True])
@pytest.mark.parametrize("include_synthetic,separated", [(True, False), (False, True)])
def test_a_rendered_page_in_name_order_reads_the_page_index_and_never_the_table(
        tmp_path, descending, has_position, has_role, include_synthetic, separated):
    # GIVEN a store with statistics, and the statement of a rendered page in name order
    engine = open_database(tmp_path / "humangov.db")
    store = SqliteRecordStore(engine)
    store.add_state(state_for("CA"))
    store.add_employees([person(f"P{i}") for i in range(200)], [])
    sql = store._ordered_statement("name", descending, has_position, has_role,
                                   include_synthetic, separated, rendered=True)
    params = ["CA", *(["Doe", "P1", "x"] if has_position else []), *(["Clerk"] * has_role), 5]
    with closing(sqlite3.connect(tmp_path / "humangov.db")) as db:
        db.execute("ANALYZE")
        roots = dict(db.execute("SELECT name, rootpage FROM sqlite_master "
                                "WHERE name IN ('employees', 'ix_employees_page')"))
        program = db.execute("EXPLAIN " + sql, params).fetchall()
    # WHEN SQLite runs it: which cursor is on which B-tree, and what reads each one
    opened = {p1: p2 for _, op, p1, p2, *_ in program if op == "OpenRead"}
    table = [c for c, root in opened.items() if root == roots["employees"]]
    # THEN it walks ix_employees_page, and no instruction reads a table row (SQLite opens the
    # table for a deferred seek that nothing ever forces)
    assert roots["ix_employees_page"] in opened.values(), program
    reads = [(op, p1) for _, op, p1, *_ in program
             if op in ("Column", "Rowid", "SeekRowid", "NotExists") and p1 in table]
    assert reads == [], program
    engine.dispose()


def test_closing_the_store_closes_the_connections_it_opened_beside_the_pool(tmp_path):
    # GIVEN a store whose hot reads and change watch have opened their own connections,
    # from this thread and another
    path = tmp_path / "humangov.db"
    engine = open_database(path)
    store = SqliteRecordStore(engine)
    store.add_state(state_for("CA"))
    store.add_employees([person("Ada")], [])
    store.change_token()

    def hot_read():
        store.list_employees_json("CA", q="ada", limit=5, cursor=None)

    hot_read()
    other = threading.Thread(target=hot_read)
    other.start()
    other.join()
    engine.dispose()  # the pool's own connections
    assert open_files(path) >= 3  # the watch and two readers
    # WHEN the store is closed
    store.close()
    # THEN nothing of it holds the file open; a late read opens anew, as the pool would
    assert open_files(path) == 0
    hot_read()
    assert open_files(path) == 1
    store.close()


def open_files(path: Path) -> int:
    """This process's descriptors open on the database file itself."""
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if fd.resolve(strict=False) == path.resolve())
