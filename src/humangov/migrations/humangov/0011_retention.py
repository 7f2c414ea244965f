"""retention: separation of employees and the retention schedule per state.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN, not a batch copy: the table may hold millions of rows.
    op.add_column("employees", sa.Column("separated_on", sa.String))
    op.add_column("employees", sa.Column("separation_reason", sa.String))
    op.create_index("ix_employees_separated", "employees", ["state", "separated_on"],
                    sqlite_where=sa.text("separated_on IS NOT NULL"))
    op.create_table(
        "retention_schedules",
        sa.Column("state", sa.String, primary_key=True),
        sa.Column("document_years", sa.Integer),
        sa.Column("record_years", sa.Integer),
        sa.Column("set_by", sa.String, nullable=False),
        sa.Column("set_at", sa.String, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("retention_schedules")
    op.drop_index("ix_employees_separated", "employees")
    with op.batch_alter_table("employees") as batch:
        batch.drop_column("separation_reason")
        batch.drop_column("separated_on")
