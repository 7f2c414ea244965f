"""personnel: states, employees, history, users, API tokens and the erasure outbox.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Frozen here rather than imported from humangov.adapters.metadata, so that a later edit
    # there cannot change what this revision creates: a database migrated years ago and one
    # migrated today must end up the same. Change the schema with a new revision instead.
    # Times are fixed-width ISO-8601 UTC text, money integer cents; names collate NOCASE so
    # the listing index sorts as the listing query does.
    op.create_table(
        "states",
        sa.Column("code", sa.String, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
    )
    op.create_table(
        "employees",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("state", sa.String, sa.ForeignKey("states.code"), nullable=False),
        sa.Column("first_name", sa.String(collation="NOCASE"), nullable=False),
        sa.Column("last_name", sa.String(collation="NOCASE"), nullable=False),
        sa.Column("role", sa.String, nullable=False),
        sa.Column("salary_cents", sa.Integer, nullable=False),
        sa.Column("doc_id", sa.String),
        sa.Column("doc_key", sa.String),
        sa.Column("doc_size", sa.Integer),
        sa.Column("doc_sha256", sa.String),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("updated_at", sa.String, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("synthetic", sa.Boolean, nullable=False, server_default=sa.text("0")),
    )
    # Keyset listing walks this index; role and synthetic ride along so search and the
    # synthetic filter are answered from the index alone.
    op.create_index("ix_employees_listing", "employees",
                    ["state", "last_name", "first_name", "id", "role", "synthetic"])
    # Covers the erasure sweep's walk in key order, id included, so it never reads the table.
    op.create_index("ix_employees_doc_key", "employees", ["state", "doc_key", "id"])
    op.create_table(
        "history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("state", sa.String, nullable=False),
        sa.Column("employee_id", sa.String, nullable=False),
        sa.Column("action", sa.String, nullable=False),
        sa.Column("actor", sa.String, nullable=False),
        sa.Column("at", sa.String, nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_history_employee", "history", ["state", "employee_id", "id"])
    op.create_table(
        "users",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("email", sa.String(collation="NOCASE"), nullable=False, unique=True),
        sa.Column("role", sa.String, nullable=False),
        sa.Column("state", sa.String),
        sa.Column("password_hash", sa.String, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("role", sa.String, nullable=False),
        sa.Column("state", sa.String),
        sa.Column("token_hash", sa.String, nullable=False, unique=True),
        sa.Column("created_at", sa.String, nullable=False),
    )
    op.create_table(
        "erasure_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("change_id", sa.Text, nullable=False, unique=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("employee_id", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("old_document_id", sa.Text),
        sa.Column("old_key", sa.Text),
        sa.Column("old_size", sa.Integer),
        sa.Column("old_sha256", sa.Text),
        sa.Column("new_document_id", sa.Text),
        sa.Column("new_key", sa.Text),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("requested_at", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'pending'")),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("claimed_by", sa.Text),
        sa.Column("claimed_until", sa.Text),
        sa.Column("next_attempt_at", sa.Text, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("done_at", sa.Text),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_erasure_outbox_due", "erasure_outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_erasure_outbox_due", "erasure_outbox")
    op.drop_table("erasure_outbox")
    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_index("ix_history_employee", "history")
    op.drop_table("history")
    op.drop_index("ix_employees_doc_key", "employees")
    op.drop_index("ix_employees_listing", "employees")
    op.drop_table("employees")
    op.drop_table("states")
