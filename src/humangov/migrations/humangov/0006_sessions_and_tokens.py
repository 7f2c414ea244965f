"""sessions and tokens: server-side login sessions; tokens get an expiry and a last use (their
owner came with 0005).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_sessions",
        sa.Column("id_hash", sa.String, primary_key=True),
        sa.Column("user_id", sa.String, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("last_seen_at", sa.String, nullable=False),
        sa.Column("csrf", sa.String, nullable=False),
    )
    op.create_index("ix_login_sessions_user_id", "login_sessions", ["user_id"])
    for name in ("expires_at", "last_used_at"):
        op.add_column("api_tokens", sa.Column(name, sa.String))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        for name in ("expires_at", "last_used_at"):
            batch.drop_column(name)
    op.drop_index("ix_login_sessions_user_id", "login_sessions")
    op.drop_table("login_sessions")
