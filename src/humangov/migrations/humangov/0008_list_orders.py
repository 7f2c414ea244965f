"""employee numbers and the indexes of the list's sort orders.

Each employee gets a per-state number, assigned from a counter row per state in the same
transaction as the insert, so a number is never handed out twice (a deleted employee's
number stays retired). Existing employees are numbered in the order they were created.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("employees", sa.Column("number", sa.Integer, nullable=False,
                                         server_default=sa.text("0")))
    op.execute(
        "UPDATE employees SET number = r.n FROM (SELECT id, ROW_NUMBER() OVER "
        "(PARTITION BY state ORDER BY created_at, id) AS n FROM employees) AS r "
        "WHERE r.id = employees.id"
    )
    op.create_table(
        "employee_numbers",
        sa.Column("state", sa.String, primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )
    op.execute("INSERT INTO employee_numbers (state, last) "
               "SELECT state, MAX(number) FROM employees GROUP BY state")
    op.create_index("ux_employees_number", "employees", ["state", "number"], unique=True)
    op.create_index("ix_employees_by_role", "employees",
                    ["state", "role", "last_name", "first_name", "id", "synthetic"])
    op.create_index("ix_employees_by_salary", "employees",
                    ["state", "salary_cents", "last_name", "first_name", "id"])
    op.create_index("ix_employees_by_updated", "employees",
                    ["state", "updated_at", "last_name", "first_name", "id"])


def downgrade() -> None:
    for index in ("ix_employees_by_updated", "ix_employees_by_salary", "ix_employees_by_role",
                  "ux_employees_number"):
        op.drop_index(index, "employees")
    op.drop_table("employee_numbers")
    op.drop_column("employees", "number")
