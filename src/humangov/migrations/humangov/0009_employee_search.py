"""employee search: the folded words of each employee's names and role, in a B-tree.

A prefix search reads this table's primary key in result order (see
humangov.adapters.records.search), so a page costs about its own rows however many employees
there are; the employees table is read only by primary key. Rows cascade away with their
employee. Existing employees are indexed here, in the migration's transaction.

Revision ID: 0008
Revises: 0007
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The folding as of this revision (migrations never import the application, whose rules may
# change later: see humangov.adapters.records.search).
_APOSTROPHES = str.maketrans("", "", "'\u2019\u02bc`")
_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _words(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return "".join(c if c.isalnum() else " " for c in plain).split()


def _entries(first: str, last: str, role: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for cls, text in ((0, last), (1, first), (2, role)):
        found += [(cls, w) for w in _words(text) if (cls, w) not in found]
    return sorted(found[:10])


def upgrade() -> None:
    op.create_table(
        "employee_search",
        sa.Column("state", sa.String, primary_key=True),
        sa.Column("cls", sa.Integer, primary_key=True),
        sa.Column("word", sa.String, primary_key=True),
        sa.Column("last_key", sa.String, primary_key=True),
        sa.Column("first_key", sa.String, primary_key=True),
        sa.Column("employee_id", sa.String, sa.ForeignKey("employees.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("synthetic", sa.Integer, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_employee_search_employee", "employee_search", ["employee_id", "word"])
    conn = op.get_bind()
    rows = conn.exec_driver_sql(
        "SELECT id, state, first_name, last_name, role, synthetic FROM employees")
    while batch := rows.fetchmany(10_000):
        conn.exec_driver_sql(
            "INSERT INTO employee_search (state, cls, word, last_key, first_key, employee_id, "
            "synthetic) VALUES (?,?,?,?,?,?,?)",
            [(state, cls, word, last.translate(_ASCII_FOLD), first.translate(_ASCII_FOLD),
              emp_id, int(synthetic))
             for emp_id, state, first, last, role, synthetic in batch
             for cls, word in _entries(first, last, role)])


def downgrade() -> None:
    op.drop_table("employee_search")
