"""Alembic environment, generic: it runs on the connection `humangov.adapters.sql.migrate`
hands over, or opens one from `sqlalchemy.url` when Alembic is run by hand."""

from __future__ import annotations

import sqlalchemy
from alembic import context

from humangov.adapters.metadata import metadata

config = context.config


def run(connection: sqlalchemy.Connection) -> None:
    # Batch mode lets later migrations alter SQLite tables (copy-and-move).
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
elif context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = sqlalchemy.create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        run(conn)
    engine.dispose()
