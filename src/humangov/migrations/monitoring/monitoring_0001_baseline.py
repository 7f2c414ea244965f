"""monitoring: runs, steps, artifacts and rollups; adopts a file made before Alembic.

Revision ID: monitoring_0001
Revises:

Until this revision monitoring.db kept its own version in a `schema_version` table, and its
version 1 is exactly these tables. So this revision creates only what is missing, in the
first release's own words (the statements below, IF NOT EXISTS added, which SQLite does not
keep), and drops that table: a new file and an old one end the same, and the old one keeps
its rows.
"""

from alembic import op

revision = "monitoring_0001"
down_revision = None
branch_labels = None
depends_on = None

STATEMENTS = [
    """CREATE TABLE IF NOT EXISTS runs (
            id TEXT PRIMARY KEY, check_name TEXT NOT NULL, check_type TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL, started_at REAL NOT NULL, scheduled_at REAL,
            duration_ms REAL NOT NULL, error TEXT NOT NULL DEFAULT '', failing_step TEXT,
            trigger TEXT NOT NULL DEFAULT 'scheduled', synthetic_ids TEXT NOT NULL DEFAULT '[]')""",
    "CREATE INDEX IF NOT EXISTS runs_by_check ON runs (check_name, id)",
    "CREATE INDEX IF NOT EXISTS runs_by_check_time ON runs (check_name, started_at)",
    """CREATE TABLE IF NOT EXISTS steps (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
            name TEXT NOT NULL, status TEXT NOT NULL, duration_ms REAL NOT NULL,
            error TEXT NOT NULL DEFAULT '', PRIMARY KEY (run_id, seq))""",
    """CREATE TABLE IF NOT EXISTS artifacts (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
            path TEXT NOT NULL, PRIMARY KEY (run_id, seq))""",
    """CREATE TABLE IF NOT EXISTS rollups (
            check_name TEXT NOT NULL, period TEXT NOT NULL, start REAL NOT NULL,
            total INTEGER NOT NULL, ok INTEGER NOT NULL, sum_ms REAL NOT NULL,
            p50_ms REAL, p95_ms REAL, max_ms REAL, PRIMARY KEY (check_name, period, start))""",
]


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)
    op.execute("DROP TABLE IF EXISTS schema_version")


def downgrade() -> None:
    for table in ("rollups", "artifacts", "steps", "runs"):
        op.drop_table(table)
