"""employee search: the folded words of each employee's names and role, in a B-tree.

A prefix search reads this index in result order (see humangov.adapters.records.search), so
a page costs about its own rows however many employees there are; the employees table is
read only by primary key. Rows cascade away with their employee. Existing employees are
indexed here, in the same transaction as the table's creation.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

from humangov.adapters.records.keyset import fold
from humangov.adapters.records.search import entries

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE employee_search ("
        " state TEXT NOT NULL, cls INTEGER NOT NULL, word TEXT NOT NULL,"
        " last_key TEXT NOT NULL, first_key TEXT NOT NULL,"
        " employee_id TEXT NOT NULL REFERENCES employees (id) ON DELETE CASCADE,"
        " synthetic INTEGER NOT NULL,"
        " PRIMARY KEY (state, cls, word, last_key, first_key, employee_id)) WITHOUT ROWID"
    )
    # A query's other words, and the cascade from employees, find an employee's rows here.
    op.create_index("ix_employee_search_employee", "employee_search", ["employee_id", "word"])
    conn = op.get_bind()
    rows = conn.exec_driver_sql(
        "SELECT id, state, first_name, last_name, role, synthetic FROM employees")
    while batch := rows.fetchmany(10_000):
        conn.exec_driver_sql(INSERT, [
            (state, cls, word, fold(last), fold(first), emp_id, int(synthetic))
            for emp_id, state, first, last, role, synthetic in batch
            for cls, word in entries(first, last, role)
        ])


INSERT = ("INSERT INTO employee_search (state, cls, word, last_key, first_key, employee_id, "
          "synthetic) VALUES (?,?,?,?,?,?,?)")


def downgrade() -> None:
    op.drop_table("employee_search")
