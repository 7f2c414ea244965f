"""Alembic environment shared by the three SQLite files; the alembic.ini section names the file.

It runs on the connection `humangov.adapters.sql.migrate` hands over, or, when Alembic is run
by hand, opens `<data_dir>/<database>` (`-x data_dir=...`, default var) the way the app does."""

from __future__ import annotations

import importlib
from pathlib import Path

import sqlalchemy
from alembic import context

config = context.config


def option(name: str) -> str:
    """A setting that every section of alembic.ini has."""
    value = config.get_main_option(name)
    if value is None:
        raise RuntimeError(f"alembic.ini: section [{config.config_ini_section}] lacks {name}")
    return value


module, _, name = option("target_metadata").partition(":")
target_metadata = getattr(importlib.import_module(module), name)


def run(connection: sqlalchemy.Connection) -> None:
    # Batch mode lets later migrations alter SQLite tables (copy-and-move).
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def by_hand() -> None:
    from humangov.adapters.sql import migrating, open_sqlite

    data_dir = Path(context.get_x_argument(as_dictionary=True).get("data_dir", "var"))
    path = data_dir / option("database")
    if context.is_offline_mode():
        context.configure(url=f"sqlite:///{path}", target_metadata=target_metadata,
                          literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = open_sqlite(path, config.config_ini_section, migrate_to_head=False)
    try:
        with migrating(engine) as connection:
            run(connection)
    finally:
        engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    by_hand()
