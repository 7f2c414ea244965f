"""retry window: an erasure retries until a duration after `retry_from`, not a count of attempts.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL means "since requested_at"; a dead letter queued again starts a new window.
    op.add_column("erasure_outbox", sa.Column("retry_from", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("erasure_outbox") as batch:
        batch.drop_column("retry_from")
