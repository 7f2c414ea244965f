"""personnel: states, employees, history, users, API tokens and the erasure outbox.

Revision ID: 0001
Revises:
"""

from alembic import op

from humangov.adapters.metadata import PERSONNEL_TABLES

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The tables are defined once, in humangov.adapters.metadata. A later change to one of
    # them is a new migration that alters it; if that day comes, freeze these definitions
    # here first so 0001 keeps creating what it always created.
    bind = op.get_bind()
    for table in PERSONNEL_TABLES:
        table.create(bind)  # also creates the table's indexes


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(PERSONNEL_TABLES):
        table.drop(bind)
