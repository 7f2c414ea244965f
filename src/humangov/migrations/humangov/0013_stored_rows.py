"""stored rows: each employee's API JSON kept with its row, and a search entry that joins its
employee in one step.

employees is rebuilt with an explicit INTEGER PRIMARY KEY (`seq`, its old rowid, so the
table's order is kept) and `json`, a STORED generated column: SQLite writes the employee's
JSON object with the row, and list pages and searches read it instead of building it per
read. `id` stays unique and is what every other table names.

employee_search is rebuilt with `employee_seq` (the employee's row, found in one descent of
the table's B-tree) and `shadow` (the longest prefix the entry's word shares with an earlier
entry of the same employee; a query's driving word no longer than that finds the employee
at that earlier entry, so this one is passed over without a look-up).

`humangov.adapters.sql.migrate` runs migrations with foreign keys off and checks them before
committing, as SQLite's table-rebuild procedure requires (https://www.sqlite.org/lang_altertable.html).
At a million employees this revision takes about two minutes (docs/benchmarks.md).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# Frozen here, as the application defined them when this revision was written.
_TIME = "replace({0}, '.000000+', '+')"
EMPLOYEE_JSON = (
    "json_object('id', id, 'state', state, 'first_name', first_name, "
    "'last_name', last_name, 'role', role, "
    "'salary', printf('%d.%02d', salary_cents / 100, salary_cents % 100), "
    "'document', CASE WHEN doc_key IS NULL THEN NULL "
    "ELSE json_object('size', doc_size, 'sha256', doc_sha256) END, "
    f"'created_at', {_TIME.format('created_at')}, 'updated_at', {_TIME.format('updated_at')}, "
    "'version', version, 'number', number, 'separated_on', separated_on, "
    "'separation_reason', separation_reason)"
)
COLUMNS = ("id, state, first_name, last_name, role, salary_cents, doc_id, doc_key, doc_size, "
           "doc_sha256, created_at, updated_at, version, synthetic, number, separated_on, "
           "separation_reason")
EMPLOYEE_INDEXES = {
    "ix_employees_listing": ["state", "last_name", "first_name", "id", "role", "synthetic"],
    "ix_employees_doc_key": ["state", "doc_key", "id"],
    "ix_employees_by_role": ["state", "role", "last_name", "first_name", "id", "synthetic"],
    "ix_employees_by_salary": ["state", "salary_cents", "last_name", "first_name", "id"],
    "ix_employees_by_updated": ["state", "updated_at", "last_name", "first_name", "id"],
}
BATCH = 10_000


def _employees_table(name: str, stored_rows: bool) -> None:
    """This revision's employees (`stored_rows`), or the one before it."""
    keys = ([sa.Column("seq", sa.Integer, primary_key=True),
             sa.Column("id", sa.String, nullable=False, unique=True)] if stored_rows
            else [sa.Column("id", sa.String, primary_key=True)])
    op.create_table(
        name,
        *keys,
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
        sa.Column("number", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("separated_on", sa.String),
        sa.Column("separation_reason", sa.String),
        *([sa.Column("json", sa.Text, sa.Computed(EMPLOYEE_JSON, persisted=True))]
          if stored_rows else []),
    )


def _search_table(name: str, stored_rows: bool) -> None:
    op.create_table(
        name,
        sa.Column("state", sa.String, primary_key=True),
        sa.Column("cls", sa.Integer, primary_key=True),
        sa.Column("word", sa.String, primary_key=True),
        sa.Column("last_key", sa.String, primary_key=True),
        sa.Column("first_key", sa.String, primary_key=True),
        sa.Column("employee_id", sa.String, sa.ForeignKey("employees.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("synthetic", sa.Integer, nullable=False),
        *([sa.Column("employee_seq", sa.Integer, nullable=False),
           sa.Column("shadow", sa.Integer, nullable=False)] if stored_rows else []),
        sqlite_with_rowid=False,
    )


def _employee_indexes() -> None:
    for name, columns in EMPLOYEE_INDEXES.items():
        op.create_index(name, "employees", columns)
    op.create_index("ux_employees_number", "employees", ["state", "number"], unique=True)
    op.create_index("ix_employees_separated", "employees", ["state", "separated_on"],
                    sqlite_where=sa.text("separated_on IS NOT NULL"))


def _replace_tables(suffix: str) -> None:
    """The rebuilt `employees_<suffix>` and `employee_search_<suffix>` take the old tables'
    places, indexes included (foreign keys are off: adapters.sql.migrating)."""
    op.drop_table("employee_search")
    op.drop_table("employees")
    op.rename_table(f"employees_{suffix}", "employees")
    op.rename_table(f"employee_search_{suffix}", "employee_search")
    _employee_indexes()
    op.create_index("ix_employee_search_employee", "employee_search", ["employee_id", "word"])


def _lcp(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _shadows(words: list[str]) -> list[int]:
    """Per entry of one employee (in (class, word) order): its longest shared prefix with an
    earlier entry's word."""
    return [max((_lcp(w, e) for e in words[:i]), default=0) for i, w in enumerate(words)]


def upgrade() -> None:
    conn = op.get_bind()
    _employees_table("employees_next", stored_rows=True)
    conn.exec_driver_sql(f"INSERT INTO employees_next (seq, {COLUMNS}) "
                         f"SELECT rowid, {COLUMNS} FROM employees ORDER BY rowid")

    # Shadows from each employee's entries together (most are 0 and not kept), then the
    # entries copied in their own key order, each with its row and shadow.
    op.execute("CREATE TEMP TABLE entry_shadows (employee_id TEXT, cls INTEGER, word TEXT, "
               "shadow INTEGER NOT NULL, PRIMARY KEY (employee_id, cls, word)) WITHOUT ROWID")
    rows = conn.exec_driver_sql(
        "SELECT employee_id, cls, word FROM employee_search ORDER BY employee_id")
    found: list[tuple] = []
    group: list[tuple] = []
    while chunk := rows.fetchmany(BATCH):
        for row in chunk:
            if group and group[-1][0] != row[0]:
                found += _shadowed(group)
                group = []
            group.append(tuple(row))
        if len(found) >= BATCH:
            conn.exec_driver_sql("INSERT INTO entry_shadows VALUES (?,?,?,?)", found)
            found = []
    found += _shadowed(group)
    if found:
        conn.exec_driver_sql("INSERT INTO entry_shadows VALUES (?,?,?,?)", found)
    _search_table("employee_search_next", stored_rows=True)
    conn.exec_driver_sql(
        "INSERT INTO employee_search_next (state, cls, word, last_key, first_key, employee_id, "
        "synthetic, employee_seq, shadow) "
        "SELECT s.state, s.cls, s.word, s.last_key, s.first_key, s.employee_id, s.synthetic, "
        "e.seq, coalesce(h.shadow, 0) FROM employee_search s "
        "JOIN employees_next e ON e.id = s.employee_id "
        "LEFT JOIN entry_shadows h ON (h.employee_id, h.cls, h.word) = "
        "(s.employee_id, s.cls, s.word) "
        "ORDER BY s.state, s.cls, s.word, s.last_key, s.first_key, s.employee_id")
    op.execute("DROP TABLE entry_shadows")

    _replace_tables("next")


def _shadowed(entries: list[tuple]) -> list[tuple]:
    """(employee_id, cls, word, shadow) of one employee's entries whose shadow is not 0."""
    entries.sort()
    return [(*e, shadow) for e, shadow in zip(entries, _shadows([e[2] for e in entries]),
                                              strict=True) if shadow]


def downgrade() -> None:
    conn = op.get_bind()
    _employees_table("employees_previous", stored_rows=False)
    conn.exec_driver_sql(f"INSERT INTO employees_previous ({COLUMNS}) "
                         f"SELECT {COLUMNS} FROM employees ORDER BY seq")
    _search_table("employee_search_previous", stored_rows=False)
    conn.exec_driver_sql(
        "INSERT INTO employee_search_previous SELECT state, cls, word, last_key, first_key, "
        "employee_id, synthetic FROM employee_search")
    _replace_tables("previous")
