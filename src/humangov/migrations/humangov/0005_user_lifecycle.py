"""user lifecycle: users can be disabled; a token may act for a user (its owner).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.text("0"))
    )
    # NULL: a machine token, with a role and state of its own.
    op.add_column("api_tokens", sa.Column("owner", sa.String))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("owner")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("disabled")
