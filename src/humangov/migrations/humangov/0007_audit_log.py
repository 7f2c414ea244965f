"""audit log: an append-only table of security events.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("state", sa.Text),
        sa.Column("subject", sa.Text),
        sa.Column("client", sa.Text),
        sa.Column("detail", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_events_state", "audit_events", ["state", "id"])
    op.create_index("ix_audit_events_subject", "audit_events", ["subject", "kind"])


def downgrade() -> None:
    op.drop_table("audit_events")
