"""synthetic erasures: the outbox and the receipts say whether a canary's record was erased.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("erasure_outbox", "erasure_receipts")


def upgrade() -> None:
    # Frozen here rather than imported. Rows written before this revision were the state's
    # own (the flag did not exist), hence the default.
    for table in TABLES:
        op.add_column(table, sa.Column("synthetic", sa.Boolean, nullable=False,
                                       server_default=sa.text("0")))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("synthetic")
