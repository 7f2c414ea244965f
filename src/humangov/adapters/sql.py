"""The embedded SQLite files (humangov.db, monitoring.db, alarms.db): one way to open them.

`open_sqlite` gives each file the same connection settings and migrates it with Alembic to
the head of its own revisions (migrations/alembic.ini has one section per file).

Every connection runs in WAL mode with a busy timeout, so the CLI can write while `serve`
reads and writes the same file (https://www.sqlite.org/wal.html). pysqlite's own
transaction handling is switched off and SQLAlchemy transactions start with
`BEGIN IMMEDIATE`: a writer takes the write lock up front and waits out `busy_timeout`,
instead of failing with SQLITE_BUSY when a read transaction tries to upgrade
(https://www.sqlite.org/lang_transaction.html). Plain reads on a raw connection run in
autocommit and take no write lock. Use `reading(engine)` for a read-only SQLAlchemy
transaction.
"""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy
from sqlalchemy import event

from humangov.private_files import private_file

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.pool import ConnectionPoolEntry

BUSY_TIMEOUT_MS = 5000
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

_migrate_lock = threading.Lock()


def open_sqlite(path: Path, schema: str, *, migrate_to_head: bool = True,
                memory_mapped: bool = True) -> sqlalchemy.Engine:
    """An engine on the SQLite file at `path`, created if missing and migrated to the head
    of `schema`: humangov, monitoring or alarms, a section of migrations/alembic.ini.

    For a helper process of one that already migrated (a sweep worker): `migrate_to_head=False`
    skips loading Alembic, and `memory_mapped=False` keeps the pages it walks once from
    counting as its resident memory."""
    path = Path(path)
    # Before SQLite opens it: the -wal and -shm files it creates take the database's mode.
    private_file(path)
    for companion in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if companion.exists():  # made by an earlier release with the umask's mode
            private_file(companion)
    engine = sqlalchemy.create_engine(
        f"sqlite:///{path}",
        # The pool hands a connection to one thread at a time, so sharing across threads is safe.
        connect_args={"check_same_thread": False},
        pool_size=8,
        max_overflow=16,
    )
    writer = threading.Lock()  # this engine's writers queue on it: see `_begin`
    event.listen(engine, "connect", _configure_connection if memory_mapped else _configure_unmapped)
    event.listen(engine, "begin", lambda connection: _begin(connection, writer))
    event.listen(engine, "commit", _end)
    event.listen(engine, "rollback", _end)
    if migrate_to_head:
        migrate(engine, path, schema)
    return engine


def open_database(path: Path, *, migrate_to_head: bool = True,
                  memory_mapped: bool = True) -> sqlalchemy.Engine:
    """humangov.db: the personnel records, accounts and the erasure outbox and ledger."""
    return open_sqlite(path, "humangov", migrate_to_head=migrate_to_head,
                       memory_mapped=memory_mapped)


def reading(engine: sqlalchemy.Engine) -> sqlalchemy.Connection:
    """A connection for reads: its transactions begin DEFERRED and take no write lock."""
    return engine.connect().execution_options(sqlite_begin="DEFERRED")


# Per connection. Small, so that a long sweep or export does not grow with the database.
CACHE_KIB = 8_000


def _configure_connection(dbapi_connection: sqlite3.Connection,
                          _record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None  # autocommit; `_begin` opens transactions
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")  # durable enough under WAL, much faster
    cursor.execute("PRAGMA foreign_keys = ON")
    # Reads map (up to 32 MiB of) the file instead of copying pages through the page cache
    # (https://www.sqlite.org/mmap.html); capped so mapped pages don't grow a sweep's memory.
    cursor.execute("PRAGMA mmap_size = 33554432")
    cursor.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    cursor.close()


def _configure_unmapped(dbapi_connection: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
    _configure_connection(dbapi_connection, record)
    dbapi_connection.execute("PRAGMA mmap_size = 0")


def _begin(connection: sqlalchemy.Connection, writer: threading.Lock) -> None:
    """Open the transaction. Write transactions take the engine's `writer` lock first.

    SQLite admits one writer at a time. Queueing this process's writers on a lock, rather than
    letting them collide in SQLite's busy handler (which sleeps in growing steps), took the p99
    of uploads under 32 concurrent clients from 1.5 s to tens of ms. busy_timeout still
    arbitrates with other processes (the CLI, a separate worker).
    """
    mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    if mode == "IMMEDIATE":
        writer.acquire()
        connection.info["holds_writer"] = writer
    try:
        connection.exec_driver_sql(f"BEGIN {mode}")
    except BaseException:
        _end(connection)
        raise


def _end(connection: sqlalchemy.Connection) -> None:
    writer = connection.info.pop("holds_writer", None)
    if writer is not None:
        writer.release()


def alembic_config(schema: str) -> Config:
    """The Alembic config of one file, read from the packaged ini so installs migrate too."""
    from alembic.config import Config

    return Config(MIGRATIONS_DIR / "alembic.ini", ini_section=schema)


def migrate(engine: sqlalchemy.Engine, path: Path, schema: str) -> None:
    """Apply every migration up to head, once, even when several processes start together.

    The file lock serialises starters across processes, the thread lock within one;
    BEGIN IMMEDIATE alone would make a second starter fail after `busy_timeout` if the
    first one's migration took longer.
    """
    from alembic import command  # here, so processes that never migrate never load Alembic

    lock_path = path.with_name(path.name + ".migrate.lock")
    with _migrate_lock, open(private_file(lock_path), "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            with migrating(engine) as connection:
                config = alembic_config(schema)
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


@contextmanager
def migrating(engine: sqlalchemy.Engine) -> Iterator[sqlalchemy.Connection]:
    """A write transaction for migrations, run with foreign keys off and checked before it
    commits, as SQLite's procedure for rebuilding a table requires: dropping a table with
    foreign keys on would first delete its rows, cascading to (or refused by) every table
    that names them (https://www.sqlite.org/lang_altertable.html#otheralter)."""
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None  # a connection just checked out of the pool is open
        driver.execute("PRAGMA foreign_keys = OFF")  # outside a transaction, or it is ignored
        try:
            with connection.begin():
                yield connection
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"a migration left rows whose foreign keys name nothing: "
                                       f"{broken[:5]}")
        finally:
            driver.execute("PRAGMA foreign_keys = ON")
