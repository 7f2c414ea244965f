"""The SQLite RecordStore.

Writes run in SQLAlchemy transactions that begin IMMEDIATE (see `adapters.sql`), so a
read-check-write sequence holds the write lock throughout and each outbox row commits with
the change that caused it. Hot reads (get, list) skip SQLAlchemy's statement layer and use
the pooled DBAPI connection directly: they are single SELECTs on an index, and the Core
overhead per call would be larger than the query itself.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

import orjson
import sqlalchemy
from sqlalchemy import exc as sa_exc

from humangov.adapters.clock import SystemClock
from humangov.adapters.erasure.sqlite import insert_changes
from humangov.adapters.records import keyset, numbered, search
from humangov.adapters.sql import BUSY_TIMEOUT_MS, CACHE_KIB
from humangov.adapters.timecodec import from_text, to_text
from humangov.domain.erasure import new_change
from humangov.domain.errors import Conflict, HumanGovError, NotFound, StorageUnavailable
from humangov.domain.model import DocumentRef, Employee, FieldChange, HistoryEntry, check_version
from humangov.domain.states import State
from humangov.ports import NAME_ORDER, SORTS, Clock, ImportBatch, JsonPage, Order, Page

COLUMNS = (
    "id, state, first_name, last_name, role, salary_cents, doc_id, doc_key, doc_size, "
    "doc_sha256, created_at, updated_at, version, synthetic, number, separated_on,"
    " separation_reason"
)
BULK_CACHE_KIB = 128 * 1024
INSERT_EMPLOYEE = f"INSERT INTO employees ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
INSERT_HISTORY = (
    "INSERT INTO history (state, employee_id, action, actor, at, changes) VALUES (?,?,?,?,?,?)"
)
GET_EMPLOYEE = f"SELECT {COLUMNS} FROM employees WHERE id = ? AND state = ?"
ORDER = " ORDER BY last_name, first_name, id"
# Claims the next `n` numbers of a state (creating its counter), in the insert's transaction.
CLAIM_NUMBERS = (
    "INSERT INTO employee_numbers (state, last) VALUES (?, ?) "
    "ON CONFLICT (state) DO UPDATE SET last = last + excluded.last RETURNING last"
)
# The sort column of each order, as its index (ix_employees_by_*) holds it.
SORT_COLUMNS = {"name": (), "role": ("role",), "salary": ("salary_cents",),
                "updated": ("updated_at",)}
# An entry names its employee's row (employees.seq) too, looked up as it is written.
INSERT_SEARCH = (
    "INSERT INTO employee_search (state, cls, word, last_key, first_key, employee_id, synthetic, "
    "shadow, employee_seq) VALUES (?,?,?,?,?,?,?,?, (SELECT seq FROM employees WHERE id = ?6))"
)
# One class of a search, in result order, straight off the primary key of employee_search. An
# employee is listed at its best entry for the driving word: one whose word is longer than its
# shadow (search.shadows). Each entry joins its employee's row by rowid (CROSS JOIN: the
# index drives, in its order; `+e.state`: the state is only checked). The position a cursor
# is made of is read apart, for the page's last match alone (SEARCH_POSITION).
SEARCH = (
    "SELECT {columns} "
    "FROM employee_search s CROSS JOIN employees e ON e.seq = s.employee_seq "
    "AND +e.state = s.state "
    "WHERE s.state = ? AND s.cls = ? AND s.word >= ? AND s.word < ? AND s.shadow < ? "
    "AND (s.word, s.last_key, s.first_key, s.employee_id) > (?, ?, ?, ?) {synthetic}{others}"
    "ORDER BY s.word, s.last_key, s.first_key, s.employee_id LIMIT ?"
)
# Where one match sorts (search.Position, less its class and id), for the cursor after a
# page's last match: its entry is the employee's one in the class whose word starts with the
# driving word unshadowed (search.shadows), found through ix_employee_search_employee (named:
# the planner, counting a short word's range small, would walk the state's entries). Read
# for that match alone: selected with every match, as a json_array, it cost ~180,000 of a
# search's ~950,000 instructions (docs/benchmarks.md).
SEARCH_POSITION = (
    "SELECT word, last_key, first_key FROM employee_search "
    "INDEXED BY ix_employee_search_employee "
    "WHERE employee_id = ? AND word >= ? AND word < ? AND state = ? AND cls = ? AND shadow < ? "
    "ORDER BY word LIMIT 1"
)
ROW = ", ".join(f"e.{c.strip()}" for c in COLUMNS.split(","))
# A listed employee as the API's JSON (metadata.EMPLOYEE_JSON, stored with its row), read as its
# UTF-8 bytes: the page is joined and sent as bytes, never decoded to text and encoded back.
RENDERED_JSON = "CAST(e.json AS BLOB)"
OTHER_WORD = (
    "AND EXISTS (SELECT 1 FROM employee_search o WHERE o.employee_id = s.employee_id "
    "AND o.word >= ? AND o.word < ?) "
)
FETCH = 1000
KEY_CHUNK = 8192  # keys are small; bigger blocks measured no faster


class SqliteRecordStore:
    def __init__(self, engine: sqlalchemy.Engine, clock: Clock | None = None):
        self.engine = engine
        self.clock = clock or SystemClock()
        self._ordered_sql: dict[tuple, str] = {}
        self._watch: sqlite3.Connection | None = None
        self._watch_lock = threading.Lock()
        self._readers = threading.local()
        self._opened: list[sqlite3.Connection] = []  # every thread's, to close them
        self._generation = 0  # moves on close: a thread's reader from before is not used

    def close(self) -> None:
        """Closes the connections this store opened beside the engine's pool (the hot reads'
        and the change watch). Like the pool after `dispose`, a read afterwards opens anew."""
        with self._watch_lock:
            self._generation += 1
            for db in (*self._opened, *([self._watch] if self._watch else [])):
                db.close()
            self._opened.clear()
            self._watch = None

    def ping(self) -> None:
        with self._read() as db:
            db.execute("SELECT 1").fetchone()

    def change_token(self) -> int:
        """Changes whenever any connection, in any process, commits to the database.

        SQLite's `PRAGMA data_version` on one connection moves when *other* connections
        commit (https://sqlite.org/pragma.html#pragma_data_version), so a connection kept only
        for asking sees every commit. Readers use it to cache safely across processes.
        """
        with self._watch_lock:
            if self._watch is None:
                path = self.engine.url.database
                assert path is not None  # open_sqlite's engines are on a file
                self._watch = sqlite3.connect(path, check_same_thread=False)
            return self._watch.execute("PRAGMA data_version").fetchone()[0]

    # states -------------------------------------------------------------------------------
    def list_states(self) -> list[State]:
        with self._read() as db:
            rows = db.execute("SELECT code, name FROM states ORDER BY code")
            return [State(c, n) for c, n in rows]

    def add_state(self, state: State) -> bool:
        with self._write() as conn:
            result = conn.exec_driver_sql(
                "INSERT OR IGNORE INTO states (code, name, created_at) VALUES (?, ?, ?)",
                (state.code, state.name, to_text(self.clock.now())),
            )
            return result.rowcount == 1

    def remove_state(self, code: str, actor: str) -> int:
        now = self.clock.now()
        with self._write() as conn:
            docs = conn.exec_driver_sql(
                "SELECT id, doc_id, doc_key, doc_size, doc_sha256, synthetic FROM employees "
                "WHERE state = ? AND doc_key IS NOT NULL ORDER BY id", (code,),
            ).all()
            insert_changes(conn, (
                new_change(code, emp_id, "state-offboarded", DocumentRef(d_id, key, size, sha),
                           None, actor, now, synthetic=bool(synthetic))
                for emp_id, d_id, key, size, sha, synthetic in docs
            ))
            conn.exec_driver_sql("DELETE FROM history WHERE state = ?", (code,))
            removed = conn.exec_driver_sql(
                "DELETE FROM employees WHERE state = ?", (code,)
            ).rowcount
            conn.exec_driver_sql("DELETE FROM states WHERE code = ?", (code,))
            # Every record is gone with the state: if it is added again, it counts from 1.
            conn.exec_driver_sql("DELETE FROM employee_numbers WHERE state = ?", (code,))
            return removed

    # employees ----------------------------------------------------------------------------
    def add_employee(self, employee: Employee, entry: HistoryEntry) -> Employee:
        return self.add_employees([employee], [entry])[0]

    def add_employees(self, employees: list[Employee],
                      entries: list[HistoryEntry]) -> list[Employee]:
        if not employees and not entries:
            return []
        with self._write() as conn:
            return _insert(conn, employees, entries)

    def get_employee(self, state: str, employee_id: str) -> Employee | None:
        with self._hot_read() as db:
            row = db.execute(GET_EMPLOYEE, (employee_id, state)).fetchone()
        return _employee(row) if row is not None else None

    def list_employees(
        self, state: str, *, q: str | None, limit: int, cursor: str | None,
        include_synthetic: bool = True, ordering: Order = NAME_ORDER, separated: bool = False,
    ) -> Page:
        if q:
            return self._search(state, q, limit, cursor, include_synthetic, ROW, _employee,
                                itemgetter(0))
        return keyset.ordered_page(self._rows(state, include_synthetic, separated), ordering,
                                   cursor, limit, SORTS)

    def supported_sorts(self) -> tuple[str, ...]:
        return SORTS

    def count_employees(self, state: str, *, role: str | None = None,
                        include_synthetic: bool = True) -> int:
        """The employees the list shows: a COUNT over ix_employees_listing (or
        ix_employees_by_role for one role), read from the index alone, less the separated
        ones, found through the partial ix_employees_separated (their rows alone are read).
        The list page's cache keeps it until the next commit."""
        sql, params = "SELECT COUNT(*) FROM employees WHERE state = ?", [state]
        if role:
            sql += " AND role = ? COLLATE NOCASE"
            params.append(role)
        if not include_synthetic:
            sql += " AND synthetic = 0"
        with self._hot_read() as db:
            return db.execute(f"SELECT ({sql}) - ({sql} AND separated_on IS NOT NULL)",
                              params * 2).fetchone()[0]

    def list_employees_json(
        self, state: str, *, q: str | None, limit: int, cursor: str | None,
        include_synthetic: bool = True, ordering: Order = NAME_ORDER, separated: bool = False,
    ) -> JsonPage:
        if q:
            page = self._search(state, q, limit, cursor, include_synthetic, RENDERED_JSON,
                                itemgetter(0), _rendered_id)
            return JsonPage(_json_array(page.items),  # type: ignore[arg-type]  # the JSON
                            page.next_cursor)
        rows = self._rows(state, include_synthetic, separated, rendered=True)
        # Rows stay tuples (the JSON, then the sort's column); only the two a cursor is made
        # of are read as an employee (_Rendered).
        page = keyset.ordered_page(rows, ordering, cursor, limit, SORTS,
                                   view=_Rendered)  # type: ignore[arg-type]
        json = map(itemgetter(0), page.items)  # type: ignore[arg-type]  # rows, as above
        return JsonPage(_json_array(json), page.next_cursor, page.prev_cursor)

    def _search(self, state: str, q: str, limit: int, cursor: str | None,
                include_synthetic: bool, columns: str, item: Callable[[tuple], Any],
                employee_id: Callable[[tuple], str]) -> Page:
        """A page of matches: the index entries joined to their employees, whose `columns`
        `item` makes into the page's items (`employee_id` reads a match's id from them)."""
        query_words = search.words(q)
        lead = search.driving_word(query_words) if query_words else ""
        bounds = [bound for w in query_words if w != lead for bound in (w, w + search.END)]
        sql = SEARCH.format(columns=columns, others=OTHER_WORD * (len(bounds) // 2),
                            synthetic="" if include_synthetic else "AND s.synthetic = 0 ")
        with self._hot_read() as db:

            def read(cls: int, after: search.Position | None, n: int) -> list[tuple]:
                start = after[1:] if after is not None else ("",) * 4
                rows = db.execute(sql, (state, cls, lead, lead + search.END, len(lead), *start,
                                        *bounds, n)).fetchall()
                return [(cls, row) for row in rows]

            def position(match: tuple) -> search.Position:
                cls, row = match
                found_id = employee_id(row)
                word, last, first = db.execute(SEARCH_POSITION, (
                    found_id, lead, lead + search.END, state, cls, len(lead))).fetchone()
                return search.Position(cls, word, last, first, found_id)

            db.execute("BEGIN")  # one snapshot across the classes' reads and the position
            try:
                found = search.collect(cursor, query_words, limit, read)
                return search.page_of(found, limit, position, lambda match: item(match[1]))
            finally:
                db.execute("COMMIT")

    def iter_employees(self, state: str) -> Iterator[Employee]:
        sql = f"SELECT {COLUMNS} FROM employees WHERE state = ?{ORDER}"
        for row in self._stream(sql, (state,)):
            yield _employee(row)

    def update_employee(
        self, employee: Employee, expected_version: int, entry: HistoryEntry,
        reason: str = "document-replaced",
    ) -> None:
        with self._write() as conn:
            self._update(conn, employee, expected_version, entry, reason)

    def _update(self, conn: sqlalchemy.Connection, employee: Employee, expected_version: int,
                entry: HistoryEntry, reason: str = "document-replaced") -> None:
        doc = employee.document
        old = self._current(conn, employee.state, employee.id, expected_version)
        conn.exec_driver_sql(
            "UPDATE employees SET first_name = ?, last_name = ?, role = ?, salary_cents = ?, "
            "doc_id = ?, doc_key = ?, doc_size = ?, doc_sha256 = ?, updated_at = ?, "
            "version = ?, synthetic = ?, separated_on = ?, separation_reason = ? "
            "WHERE id = ? AND state = ? AND version = ?",
            (employee.first_name, employee.last_name, employee.role, _cents(employee.salary),
             doc.id if doc else None, doc.key if doc else None,
             doc.size if doc else None, doc.sha256 if doc else None,
             to_text(employee.updated_at), employee.version, int(employee.synthetic),
             *_separation(employee), employee.id, employee.state, expected_version),
        )
        conn.exec_driver_sql(INSERT_HISTORY, _history_row(entry))
        conn.exec_driver_sql("DELETE FROM employee_search WHERE employee_id = ?",
                             (employee.id,))
        _insert_search(conn, _search_rows(employee))
        if old is not None and (doc is None or doc.key != old.key):
            insert_changes(conn, [new_change(employee.state, employee.id, reason,
                                             old, doc, entry.actor, entry.at,
                                             synthetic=employee.synthetic)])

    def delete_employee(
        self, state: str, employee_id: str, actor: str, expected_version: int | None = None,
        *, reason: str = "record-deleted",
    ) -> Employee:
        with self._write() as conn:
            return self._delete(conn, state, employee_id, actor, expected_version, reason)

    def apply_import(self, state: str, batches: Iterable[ImportBatch], actor: str) -> None:
        """One transaction; a batch iterator that raises (a bad row) rolls all of it back."""
        with self._write() as conn:
            conn.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")  # room for the indexes
            try:
                for batch in batches:
                    _insert(conn, batch.employees, batch.entries)
                    for employee, entry in batch.separations:
                        self._update(conn, employee, employee.version - 1, entry)
                    for employee_id in batch.deletes:
                        self._delete(conn, state, employee_id, actor, None)
            finally:
                conn.exec_driver_sql(f"PRAGMA cache_size = -{CACHE_KIB}")

    def _delete(self, conn: sqlalchemy.Connection, state: str, employee_id: str, actor: str,
                expected_version: int | None, reason: str = "record-deleted") -> Employee:
        row = conn.exec_driver_sql(GET_EMPLOYEE, (employee_id, state)).first()
        if row is None:
            raise NotFound(f"There is no employee {employee_id} in {state}.")
        employee = _employee(row)
        check_version(employee_id, expected_version, employee.version)
        conn.exec_driver_sql(
            "DELETE FROM employees WHERE id = ? AND state = ?", (employee_id, state)
        )
        conn.exec_driver_sql(
            "DELETE FROM history WHERE state = ? AND employee_id = ?", (state, employee_id)
        )
        if employee.document is not None:
            insert_changes(conn, [new_change(state, employee_id, reason,
                                             employee.document, None, actor, self.clock.now(),
                                             synthetic=employee.synthetic)])
        return employee

    def history(self, state: str, employee_id: str) -> list[HistoryEntry]:
        with self._read() as db:
            rows = db.execute(
                "SELECT employee_id, state, action, actor, at, changes FROM history "
                "WHERE state = ? AND employee_id = ? ORDER BY id", (state, employee_id),
            ).fetchall()
        return [
            HistoryEntry(e, s, action, actor, from_text(at),
                         tuple(FieldChange(*c) for c in orjson.loads(changes)))
            for e, s, action, actor, at, changes in rows
        ]

    # erasure support ----------------------------------------------------------------------
    def iter_document_refs(self, state: str) -> Iterator[tuple[str, str]]:
        sql = (
            "SELECT doc_key, id FROM employees WHERE state = ? AND doc_key IS NOT NULL "
            "ORDER BY doc_key"  # walks ix_employees_doc_key; keys are unique per state
        )
        yield from self._stream(sql, (state,))

    def iter_document_key_chunks(self, state: str, *, start: str | None = None,
                                 stop: str | None = None) -> Iterator[list[str]]:
        # The covering index again, without the ids the sweep rarely needs; the bounds make it
        # a range seek. SQLite's default BINARY collation compares UTF-8 bytes, which orders
        # text as Python compares str (by code point), the order the other side is listed in.
        sql = "SELECT doc_key FROM employees WHERE state = ? AND doc_key IS NOT NULL"
        params: list = [state]
        if start is not None:
            sql += " AND doc_key >= ?"
            params.append(start)
        if stop is not None:
            sql += " AND doc_key < ?"
            params.append(stop)
        with self._read() as db:
            cursor = db.execute(sql + " ORDER BY doc_key", params)
            try:
                while rows := cursor.fetchmany(KEY_CHUNK):
                    yield list(map(itemgetter(0), rows))
            finally:
                cursor.close()

    def document_owners(self, state: str, keys: list[str]) -> list[tuple[str, str]]:
        owners: list[tuple[str, str]] = []
        with self._read() as db:
            for i in range(0, len(keys), 500):  # well under SQLite's bound-parameter limit
                part = keys[i:i + 500]
                owners += db.execute(
                    f"SELECT doc_key, id FROM employees WHERE state = ? AND doc_key IN "
                    f"({', '.join('?' * len(part))})", (state, *part),
                ).fetchall()
        return sorted(owners)

    def iter_separated(self, state: str, until: date) -> Iterator[Employee]:
        sql = (f"SELECT {COLUMNS} FROM employees WHERE state = ? AND separated_on IS NOT NULL "
               "AND separated_on <= ? ORDER BY separated_on")  # ix_employees_separated
        for row in self._stream(sql, (state, until.isoformat())):
            yield _employee(row)

    def is_referenced(self, state: str, key: str) -> bool:
        with self._read() as db:
            row = db.execute(
                "SELECT 1 FROM employees WHERE state = ? AND doc_key = ? LIMIT 1", (state, key)
            ).fetchone()
        return row is not None

    # helpers ------------------------------------------------------------------------------
    def _current(
        self, conn: sqlalchemy.Connection, state: str, employee_id: str, expected_version: int
    ) -> DocumentRef | None:
        """The current document of an employee whose version is `expected_version`."""
        row = conn.exec_driver_sql(
            "SELECT version, doc_id, doc_key, doc_size, doc_sha256 FROM employees "
            "WHERE id = ? AND state = ?", (employee_id, state),
        ).first()
        if row is None:
            raise NotFound(f"There is no employee {employee_id} in {state}.")
        check_version(employee_id, expected_version, row[0])
        return DocumentRef(row[1], row[2], row[3], row[4]) if row[2] is not None else None

    def _rows(self, state: str, include_synthetic: bool, separated: bool = False, *,
              rendered: bool = False) -> keyset.Rows:
        """The store's read for keyset.ordered_page: Employees, or (`rendered`) rows of the
        API's JSON and the sort's column (read as a _Rendered where a cursor is made of one)."""

        def rows(order: Order, position: keyset.Position | None, back: bool,
                 n: int) -> list[Employee]:
            params: list[object] = [state]
            if position is not None:
                params += position.key if order.sort != "name" else position.key[1:]
            if order.role:
                params.append(order.role)
            params.append(n)
            sql = self._ordered_statement(order.sort, order.descending != back,
                                          position is not None, bool(order.role),
                                          include_synthetic, separated, rendered)
            with self._hot_read() as db:
                found = db.execute(sql, params).fetchall()
            return found if rendered else [_employee(r) for r in found]
        return rows

    def _ordered_statement(self, sort: str, descending: bool, has_position: bool,
                           has_role: bool, include_synthetic: bool, separated: bool,
                           rendered: bool) -> str:
        """One SELECT walking the sort's index from a position, either way: a row-value
        comparison on the whole key seeks, and a descending walk reads the index backwards."""
        shape = (sort, descending, has_position, has_role, include_synthetic, separated,
                 rendered)
        sql = self._ordered_sql.get(shape)
        if sql is None:
            key = (*SORT_COLUMNS[sort], "last_name", "first_name", "id")
            where = ["state = ?"]
            if has_position:
                where.append(f"({', '.join(key)}) {'<' if descending else '>'} "
                             f"({', '.join('?' * len(key))})")
            if has_role:
                where.append("role = ? COLLATE NOCASE")
            if not include_synthetic:
                where.append("synthetic = 0")
            where.append(f"separated_on IS {'NOT ' if separated else ''}NULL")
            direction = " DESC" if descending else ""
            # Rendered: only the JSON and the sort's column. Each column costs the sqlite3
            # module ~1,300 instructions a row; the names and id of the two rows a cursor is
            # made of are read back from their JSON (_Rendered).
            columns = ", ".join((RENDERED_JSON, *SORT_COLUMNS[sort])) if rendered else COLUMNS
            # In name order the rendered rows come from ix_employees_page alone (metadata).
            table = ("employees e INDEXED BY ix_employees_page" if rendered and sort == "name"
                     else "employees e")
            sql = (f"SELECT {columns} FROM {table} "
                   f"WHERE {' AND '.join(where)} "
                   f"ORDER BY {', '.join(k + direction for k in key)} LIMIT ?")
            self._ordered_sql[shape] = sql
        return sql

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        try:
            proxy = self.engine.raw_connection()
        except (sa_exc.SQLAlchemyError, sqlite3.Error) as exc:
            raise _unavailable() from exc
        try:
            connection = proxy.driver_connection
            assert connection is not None  # a connection just checked out of the pool is open
            yield connection
        except sqlite3.Error as exc:
            raise _unavailable() from exc
        finally:
            proxy.close()

    @contextmanager
    def _hot_read(self) -> Iterator[sqlite3.Connection]:
        """This thread's own connection for the hot reads (an employee, a page, a search): kept
        open, so a request takes no connection from the pool, and not mapping the file. When
        another connection commits (an edit every 50 ms in the benchmark), SQLite drops a
        reader's page cache *and* unmaps its whole map; with the file mapped, the first read
        after each commit paid ~2.5 ms tearing down and faulting back the pages that random
        pages had touched, the slowest reads there were. Read into the page cache instead,
        a page is a few small copies of the OS's cached pages (docs/benchmarks.md)."""
        try:
            db = getattr(self._readers, "db", None)
            if db is None or getattr(self._readers, "generation", None) != self._generation:
                path = self.engine.url.database
                assert path is not None  # open_sqlite's engines are on a file
                db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
                db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                db.execute("PRAGMA query_only = ON")
                db.execute("PRAGMA mmap_size = 0")
                db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
                with self._watch_lock:
                    self._opened.append(db)
                    self._readers.db, self._readers.generation = db, self._generation
            yield db
        except sqlite3.Error as exc:
            raise _unavailable() from exc

    @contextmanager
    def _write(self) -> Iterator[sqlalchemy.Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except HumanGovError:
            raise
        except sa_exc.IntegrityError as exc:
            raise _integrity(exc) from exc
        except (sa_exc.SQLAlchemyError, sqlite3.Error) as exc:
            raise _unavailable() from exc

    def _stream(self, sql: str, params: tuple) -> Iterator[tuple]:
        """Rows in batches from one cursor: memory stays flat however many rows there are."""
        with self._read() as db:
            cursor = db.execute(sql, params)
            try:
                while rows := cursor.fetchmany(FETCH):
                    yield from rows
            finally:
                cursor.close()


class _Rendered:
    """A row of a rendered page read as keyset reads an Employee to make a cursor of it: the
    names and id from the row's own JSON (the very values the page shows; JSON text gives a
    string back exactly), the sort's value as stored (the row's second column)."""

    __slots__ = ("id", "last_name", "first_name", "role", "_value")

    def __init__(self, row: tuple) -> None:
        item = orjson.loads(row[0])
        self.id, self.last_name, self.first_name = item["id"], item["last_name"], item["first_name"]
        self.role = item["role"]
        self._value = row[1] if len(row) > 1 else None

    @property
    def salary(self) -> Decimal:
        return Decimal(self._value).scaleb(-2)  # type: ignore[arg-type]  # the salary sort's

    @property
    def updated_at(self) -> datetime:
        return from_text(self._value)  # type: ignore[arg-type]  # the updated sort's


def _json_array(items: Iterable[bytes]) -> bytes:
    """The page's items, each already an object's JSON (UTF-8), as one JSON array."""
    return b"[" + b",".join(items) + b"]"


def _employee(row: tuple) -> Employee:
    (emp_id, state, first, last, role, cents, doc_id, doc_key, doc_size, doc_sha,
     created, updated, version, synthetic, number, separated_on,
     separation_reason) = row
    return Employee(
        emp_id, state, first, last, role, Decimal(cents).scaleb(-2),
        DocumentRef(doc_id, doc_key, doc_size, doc_sha) if doc_key is not None else None,
        from_text(created), from_text(updated), version, bool(synthetic), number,
        date.fromisoformat(separated_on) if separated_on else None, separation_reason,
    )


def _cents(salary: Decimal) -> int:
    # Salaries are quantized to cents by the domain, so this is exact.
    return int(salary.scaleb(2))


def _insert(conn: sqlalchemy.Connection, employees: list[Employee],
            entries: list[HistoryEntry]) -> list[Employee]:
    numbered = _numbered(conn, employees)
    if numbered:
        # In primary-key order: appending to the id index beats random inserts.
        conn.exec_driver_sql(INSERT_EMPLOYEE, sorted(_employee_row(e) for e in numbered))
        _insert_search(conn, sorted(r for e in numbered for r in _search_rows(e)))
    if entries:
        conn.exec_driver_sql(INSERT_HISTORY, [_history_row(e) for e in entries])
    return numbered


def _numbered(conn: sqlalchemy.Connection, employees: list[Employee]) -> list[Employee]:
    return numbered(employees, lambda state, n: conn.exec_driver_sql(
        CLAIM_NUMBERS, (state, n)).scalar_one())


def _employee_row(e: Employee) -> tuple:
    doc = e.document
    return (
        e.id, e.state, e.first_name, e.last_name, e.role, _cents(e.salary),
        doc.id if doc else None, doc.key if doc else None,
        doc.size if doc else None, doc.sha256 if doc else None,
        to_text(e.created_at), to_text(e.updated_at), e.version, int(e.synthetic), e.number,
        *_separation(e),
    )


def _separation(e: Employee) -> tuple[str | None, str | None]:
    return (e.separated_on.isoformat() if e.separated_on else None), e.separation_reason


def _insert_search(conn: sqlalchemy.Connection, rows: list[tuple]) -> None:
    if rows:  # a name of punctuation alone has no words
        conn.exec_driver_sql(INSERT_SEARCH, rows)


def _search_rows(e: Employee) -> list[tuple]:
    """The employee's search entries as INSERT_SEARCH takes them."""
    last, first = keyset.fold(e.last_name), keyset.fold(e.first_name)
    found = search.employee_entries(e)
    return [(e.state, cls, word, last, first, e.id, int(e.synthetic), shadow)
            for (cls, word), shadow in zip(found, search.shadows(found), strict=True)]


def _rendered_id(row: tuple) -> str:
    """The id of a rendered match (its JSON, the row's first column)."""
    return orjson.loads(row[0])["id"]


def _history_row(entry: HistoryEntry) -> tuple:
    changes = orjson.dumps([[c.field, c.old, c.new] for c in entry.changes]).decode()
    return (entry.state, entry.employee_id, entry.action, entry.actor, to_text(entry.at), changes)


def _integrity(exc: sa_exc.IntegrityError) -> HumanGovError:
    message = str(exc.orig)
    if "FOREIGN KEY" in message:
        return NotFound("The state is not provisioned in this HumanGov; add it first.")
    if "employees.id" in message:
        return Conflict("An employee with this id already exists.")
    return Conflict("The change conflicts with data already stored.")


def _unavailable() -> StorageUnavailable:
    return StorageUnavailable(
        "The records database is unavailable or busy. Retry in a moment; if it persists, "
        "check the data directory's disk and permissions."
    )
