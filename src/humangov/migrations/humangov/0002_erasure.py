"""erasure: the append-only receipt ledger and the sweep runs.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Frozen here rather than imported, so this migration keeps creating what it always did.
    op.create_table(
        "erasure_receipts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("size", sa.Integer),
        sa.Column("sha256", sa.Text),
        sa.Column("versions", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("change_id", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("requested_at", sa.Text, nullable=False),
        sa.Column("erased_at", sa.Text, nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.UniqueConstraint("change_id", "key", name="uq_erasure_receipts_change_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_erasure_receipts_state", "erasure_receipts", ["state", "id"])
    op.create_table(
        "sweep_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("started_at", sa.Text, nullable=False),
        sa.Column("finished_at", sa.Text, nullable=False),
        sa.Column("scanned_files", sa.Integer, nullable=False),
        sa.Column("scanned_records", sa.Integer, nullable=False),
        sa.Column("orphans", sa.Integer, nullable=False),
        sa.Column("dangling", sa.Integer, nullable=False),
        sa.Column("purged", sa.Integer, nullable=False),
    )
    op.create_index("ix_sweep_runs_state", "sweep_runs", ["state", "finished_at"])


def downgrade() -> None:
    op.drop_index("ix_sweep_runs_state", "sweep_runs")
    op.drop_table("sweep_runs")
    op.drop_index("ix_erasure_receipts_state", "erasure_receipts")
    op.drop_table("erasure_receipts")
