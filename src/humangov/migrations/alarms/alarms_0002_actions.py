"""alarms: acknowledgements and silences made by people on the Alarms page.

Revision ID: alarms_0002
Revises: alarms_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "alarms_0002"
down_revision = "alarms_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alarm_actions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("check_name", sa.String, nullable=False),
        sa.Column("action", sa.String, nullable=False),  # acknowledged | silenced
        sa.Column("actor", sa.String, nullable=False),
        sa.Column("at", sa.String, nullable=False),
        sa.Column("until", sa.String),  # a silence's end
    )
    op.create_index("ix_alarm_actions_check", "alarm_actions", ["check_name", "id"])


def downgrade() -> None:
    op.drop_index("ix_alarm_actions_check", table_name="alarm_actions")
    op.drop_table("alarm_actions")
