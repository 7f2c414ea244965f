"""legal holds: a matter's hold on a state's employees, or on the whole state.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("matter", sa.Text, nullable=False),
        sa.Column("employee_ids", sa.Text, nullable=False),
        sa.Column("placed_by", sa.Text, nullable=False),
        sa.Column("placed_at", sa.Text, nullable=False),
        sa.Column("released_by", sa.Text),
        sa.Column("released_at", sa.Text),
    )
    op.create_index("ix_legal_holds_state", "legal_holds", ["state", "placed_at"])


def downgrade() -> None:
    op.drop_table("legal_holds")
