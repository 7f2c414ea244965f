"""The audit log as stored: the rows of `audit_events`, read without the app's code, so a test
asserts on what an attacker with the database file would find."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path


def audit_rows(database: Path, kind: str | None = None) -> list[dict]:
    """Every stored event (of `kind`), oldest first."""
    with closing(sqlite3.connect(database)) as db:
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute("SELECT * FROM audit_events ORDER BY id")]
    return [r for r in rows if kind in (None, r["kind"])]


def assert_no_secret(database: Path, *secrets: str) -> None:
    stored = repr(audit_rows(database))
    leaked = [s for s in secrets if s and s in stored]
    assert leaked == [], f"the audit log holds a secret: {leaked}"
