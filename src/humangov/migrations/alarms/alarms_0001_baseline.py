"""alarms: state, events, the notification outbox, channels and the inbox; adopts a file
made before Alembic.

Revision ID: alarms_0001
Revises:

Until this revision AlarmStore created alarms.db with `MetaData.create_all`, which creates
the tables that are missing and keeps no version. This revision does the same with those
tables frozen here, so an old file keeps its rows and gains a version, and a new one ends
the same.
"""

import sqlalchemy as sa
from alembic import op

revision = "alarms_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "alarm_states" not in existing:
        op.create_table(
            "alarm_states",
            sa.Column("check_name", sa.String, primary_key=True),
            sa.Column("data", sa.Text, nullable=False),
            sa.Column("updated_at", sa.String, nullable=False),
        )
    if "alarm_events" not in existing:
        op.create_table(
            "alarm_events",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("dedupe_key", sa.String, nullable=False, unique=True),
            sa.Column("check_name", sa.String, nullable=False),
            sa.Column("kind", sa.String, nullable=False),
            sa.Column("old_state", sa.String),
            sa.Column("new_state", sa.String, nullable=False),
            sa.Column("run_id", sa.String),
            sa.Column("at", sa.String, nullable=False),
            sa.Column("muted_by", sa.String),
            sa.Column("payload", sa.Text, nullable=False),
        )
        op.create_index("ix_alarm_events_check_name", "alarm_events", ["check_name"])
    if "alarm_channels" not in existing:
        op.create_table(
            "alarm_channels",
            sa.Column("name", sa.String, primary_key=True),
            sa.Column("kind", sa.String, nullable=False),
            sa.Column("description", sa.String, nullable=False),
            sa.Column("fingerprint", sa.String, nullable=False),
            sa.Column("disabled", sa.Boolean, nullable=False),
            sa.Column("last_error", sa.String),
            sa.Column("disabled_at", sa.String),
            sa.Column("next_allowed_at", sa.String),
            sa.Column("last_sent_at", sa.String),
        )
    if "alarm_inbox" not in existing:
        op.create_table(
            "alarm_inbox",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("event_id", sa.Integer, unique=True),
            sa.Column("created_at", sa.String, nullable=False),
            sa.Column("kind", sa.String, nullable=False),
            sa.Column("check_name", sa.String, nullable=False),
            sa.Column("new_state", sa.String, nullable=False),
            sa.Column("text", sa.Text, nullable=False),
            sa.Column("payload", sa.Text, nullable=False),
        )
    if "alarm_outbox" not in existing:
        op.create_table(
            "alarm_outbox",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("event_id", sa.Integer, sa.ForeignKey("alarm_events.id"), nullable=False),
            sa.Column("channel", sa.String, nullable=False),
            sa.Column("check_name", sa.String, nullable=False),
            sa.Column("status", sa.String, nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("next_attempt_at", sa.String, nullable=False),
            sa.Column("lease_until", sa.String),
            sa.Column("last_error", sa.String),
            sa.Column("created_at", sa.String, nullable=False),
            sa.Column("sent_at", sa.String),
            sa.UniqueConstraint("event_id", "channel", name="uq_outbox_event_channel"),
        )
        op.create_index("ix_outbox_channel_status", "alarm_outbox",
                        ["channel", "status", "check_name", "id"])


def downgrade() -> None:
    for table in ("alarm_outbox", "alarm_inbox", "alarm_channels", "alarm_events", "alarm_states"):
        op.drop_table(table)
