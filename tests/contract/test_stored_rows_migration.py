"""Revision 0013 rebuilds employees (an explicit rowid, the stored API JSON) and employee_search
(each entry's row and shadow) on a database that already holds people: nothing may be lost,
every stored JSON must be the API's, every entry what this release would write, and searches
must answer as before."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing
from datetime import UTC, date, datetime
from decimal import Decimal

import orjson
from alembic import command

from humangov.adapters.records import keyset, search
from humangov.adapters.records.sqlite import SqliteRecordStore, _employee_row, _search_rows
from humangov.adapters.sql import alembic_config, migrating, open_database
from humangov.domain.model import DocumentRef, Employee
from humangov.domain.states import state_for
from humangov.web.schemas import employee_json

PEOPLE = [  # (first, last, role): shared prefixes make shadows; odd characters stay odd
    ("Ada", "Adams", "Administrator"),
    ("José", "Núñez", "Clerk \"II\""),
    ("Siobhán", "O'Brien", "Engineer\\Lead"),
    ("Jackson", "Jackson", "Janitor"),
    ("Ada", "Lovelace-Byron", "Analyst 🙂"),
    ("Zoë", "lovelace", "Love Counsellor"),
]


def employee(i: int, first: str, last: str, role: str) -> Employee:
    at = datetime(2026, 11, 1, 9, 0, i, 0 if i % 2 else 654321, tzinfo=UTC)
    doc = DocumentRef(f"d{i}", f"CA/{i:04d}.pdf", 1000 + i, "ab" * 32) if i % 3 else None
    return Employee(str(uuid.UUID(int=i + 1, version=4)), "CA", first, last, role,
                    Decimal(f"{1000 + i}.0{i}"), doc, at, at, version=i + 1, number=i + 1,
                    synthetic=i == 4, separated_on=date(2026, 11, 30) if i == 5 else None,
                    separation_reason="resigned" if i == 5 else None)


def test_the_stored_rows_migration_keeps_everyone_and_fills_what_this_release_reads(tmp_path):
    # GIVEN a database at 0012 holding employees and their search entries as 0012 wrote them
    path = tmp_path / "humangov.db"
    engine = open_database(path, migrate_to_head=False)
    with migrating(engine) as connection:
        config = alembic_config("humangov")
        config.attributes["connection"] = connection
        command.upgrade(config, "0012")
    SqliteRecordStore(engine).add_state(state_for("CA"))
    people = [employee(i, *names) for i, names in enumerate(PEOPLE)]
    with engine.begin() as connection:
        columns = ("id, state, first_name, last_name, role, salary_cents, doc_id, doc_key, "
                   "doc_size, doc_sha256, created_at, updated_at, version, synthetic, number, "
                   "separated_on, separation_reason")
        connection.exec_driver_sql(
            f"INSERT INTO employees ({columns}) VALUES ({', '.join('?' * 17)})",
            [_employee_row(e) for e in people])
        connection.exec_driver_sql(
            "INSERT INTO employee_search VALUES (?,?,?,?,?,?,?)",
            [(e.state, cls, word, keyset.fold(e.last_name), keyset.fold(e.first_name), e.id,
              int(e.synthetic)) for e in people for cls, word in search.employee_entries(e)])
        rowids = dict(connection.exec_driver_sql("SELECT id, rowid FROM employees").all())
    engine.dispose()

    # WHEN this release opens it (migrated to head)
    engine = open_database(path)
    store = SqliteRecordStore(engine)

    # THEN every employee is there, under its old rowid, its JSON the API's
    with closing(sqlite3.connect(path)) as db:
        stored = {i: (seq, orjson.loads(js))
                  for i, seq, js in db.execute("SELECT id, seq, json FROM employees")}
        entries = sorted(db.execute(
            "SELECT s.state, s.cls, s.word, s.last_key, s.first_key, s.employee_id, "
            "s.synthetic, s.shadow, s.employee_seq = e.seq FROM employee_search s "
            "JOIN employees e ON e.id = s.employee_id"))
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert {i: seq for i, (seq, _) in stored.items()} == rowids
    for e in people:
        assert stored[e.id][1] == employee_json(store.get_employee("CA", e.id))
    # AND its search entries are what this release writes, each naming its row
    assert entries == sorted((*row, 1) for e in people for row in _search_rows(e))
    assert any(row[7] for row in entries)  # "Jackson Jackson", "Ada Adams": shadows
    # AND searches find each person once, at the best entry, as before
    for q, expected in (("ada", ["Adams", "Lovelace-Byron"]), ("jack", ["Jackson"]),
                        ("lov", ["lovelace", "Lovelace-Byron"]), ("jose nun", ["Núñez"]),
                        ("a", ["Adams", "Lovelace-Byron"])):
        found = store.list_employees("CA", q=q, limit=10, cursor=None)
        assert [e.last_name for e in found.items] == expected, q
    # AND the foreign key still cascades: a deleted employee takes its entries with it
    store.delete_employee("CA", people[3].id, "test")
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT count(*) FROM employee_search WHERE employee_id = ?",
                          (people[3].id,)).fetchone() == (0,)
    engine.dispose()


def test_the_stored_rows_migration_goes_back_to_0012(tmp_path):
    path = tmp_path / "humangov.db"
    engine = open_database(path)
    store = SqliteRecordStore(engine)
    store.add_state(state_for("CA"))
    store.add_employees([employee(i, *names) for i, names in enumerate(PEOPLE)], [])
    with migrating(engine) as connection:
        config = alembic_config("humangov")
        config.attributes["connection"] = connection
        command.downgrade(config, "0012")
    with closing(sqlite3.connect(path)) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(employees)")]
        assert "seq" not in columns and "json" not in columns
        assert db.execute("SELECT count(*) FROM employees").fetchone() == (len(PEOPLE),)
        assert db.execute("SELECT count(*) FROM employee_search").fetchone()[0] > len(PEOPLE)
    engine.dispose()
