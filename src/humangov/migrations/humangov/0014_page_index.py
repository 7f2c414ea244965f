"""page index: the employees in name order with their API JSON, so a list page reads a run
of one index's leaf pages and never the table.

A page of 50 in name order read its 50 rows from 50 scattered table pages (rows lie in the
order they were added); SQLite drops a reader's page cache and its file map on every commit
by another connection, so each of those pages was found again. From this index a page is a
handful of neighbouring leaf pages. The JSON is a second copy of each employee's (about 400
bytes; 46 MB per 100,000 employees), kept by SQLite with the row; ix_employees_listing stays
the slim one the counts scan. Measured in docs/benchmarks.md.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_employees_page", "employees",
                    ["state", "last_name", "first_name", "id", "separated_on", "role",
                     "synthetic", "json"])


def downgrade() -> None:
    op.drop_index("ix_employees_page", "employees")
