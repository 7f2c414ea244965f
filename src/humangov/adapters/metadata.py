"""The tables of humangov.db, defined once: the SQLite adapters query them, the Alembic
revisions in migrations/humangov create them, and a contract test checks the two agree.

Times are ISO-8601 UTC text of fixed width ('2026-11-26T15:00:00.123456+00:00', see
`timecodec.to_text`), so they compare and sort as text. Money is integer cents, never a float.
Names use NOCASE collation so the listing order and its index agree (SQLite's NOCASE folds
ASCII letters only: https://www.sqlite.org/datatype3.html#collating_sequences).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Computed,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

NOCASE = "NOCASE"

states = Table(
    "states", metadata,
    Column("code", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("created_at", String, nullable=False),
)

# An employee as the API's JSON object (web.schemas.employee_json), made by SQLite when the row
# is written and stored with it, so pages and searches read one column and build nothing
# (docs/benchmarks.md). Times are stored UTC with microseconds; isoformat() leaves out a zero
# fraction, so does this. tests/api/test_rendered_pages.py holds it to employee_json.
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

employees = Table(
    "employees", metadata,
    # The row's own number, for joins: an explicit INTEGER PRIMARY KEY is SQLite's rowid and
    # never changes (VACUUM renumbers implicit rowids), so search entries can name it and
    # find the row in one descent of the table's B-tree instead of two through the id index.
    Column("seq", Integer, primary_key=True),
    Column("id", String, nullable=False, unique=True),
    Column("state", String, ForeignKey("states.code"), nullable=False),
    Column("first_name", String(collation=NOCASE), nullable=False),
    Column("last_name", String(collation=NOCASE), nullable=False),
    Column("role", String, nullable=False),
    Column("salary_cents", Integer, nullable=False),
    Column("doc_id", String),
    Column("doc_key", String),
    Column("doc_size", Integer),
    Column("doc_sha256", String),
    Column("created_at", String, nullable=False),
    Column("updated_at", String, nullable=False),
    Column("version", Integer, nullable=False),
    Column("synthetic", Boolean, nullable=False, server_default=text("0")),
    Column("separated_on", String),  # ISO date; NULL while employed
    Column("separation_reason", String),
    Column("json", Text, Computed(EMPLOYEE_JSON, persisted=True)),
    # Keyset listing walks this index in order; the names inherit the columns' NOCASE.
    # role and synthetic ride along so the count and the synthetic filter run on the index
    # alone (search reads employee_search).
    Index("ix_employees_listing", "state", "last_name", "first_name", "id", "role", "synthetic"),
    # A rendered page in name order reads this index alone (the filters and the JSON ride
    # along): a run of neighbouring leaf pages instead of a table page per row. The store
    # names it (INDEXED BY): SQLite's planner does not count a generated column as covered.
    Index("ix_employees_page", "state", "last_name", "first_name", "id", "separated_on", "role",
          "synthetic", "json"),
    # The erasure sweep merge-joins referenced keys in key order.
    # Covers the sweep's walk in key order, id included, so it never touches the table.
    Index("ix_employees_doc_key", "state", "doc_key", "id"),
    # The state's employee number, from employee_numbers; unique, so one is never issued twice.
    Column("number", Integer, nullable=False, server_default=text("0")),
    Index("ux_employees_number", "state", "number", unique=True),
    # One index per sort of the list, each ending in the name order so keyset cursors are
    # exact. Roles sort as stored (BINARY): Alembic cannot compare an expression index, and
    # re-collating the column means rebuilding the table. The role filter (NOCASE) and its
    # count read this index alone, synthetic included.
    Index("ix_employees_by_role", "state", "role", "last_name", "first_name", "id",
          "synthetic"),
    Index("ix_employees_by_salary", "state", "salary_cents", "last_name", "first_name", "id"),
    Index("ix_employees_by_updated", "state", "updated_at", "last_name", "first_name", "id"),
    # The retention run seeks the separations past a date; partial, so it costs nothing
    # for the employees still at work.
    Index("ix_employees_separated", "state", "separated_on",
          sqlite_where=text("separated_on IS NOT NULL")),
)

# The last employee number issued per state: a counter, so numbers survive deletes unused.
employee_numbers = Table(
    "employee_numbers", metadata,
    Column("state", String, primary_key=True),
    Column("last", Integer, nullable=False),
)

# Search: the folded words of each employee's names and role (adapters/records/search.py),
# read in result order off the primary key; rows cascade away with their employee.
employee_search = Table(
    "employee_search", metadata,
    Column("state", String, primary_key=True),
    Column("cls", Integer, primary_key=True),
    Column("word", String, primary_key=True),
    Column("last_key", String, primary_key=True),
    Column("first_key", String, primary_key=True),
    Column("employee_id", String, ForeignKey("employees.id", ondelete="CASCADE"),
           primary_key=True),
    Column("synthetic", Integer, nullable=False),
    # The employee's row (employees.seq), so a match joins its row in one descent.
    Column("employee_seq", Integer, nullable=False),
    # The longest prefix this word shares with an earlier entry of the same employee
    # (search.shadows): a driving word no longer than that finds the employee there first,
    # so this entry is passed over without looking the employee's other entries up.
    Column("shadow", Integer, nullable=False),
    # A query's other words, and the cascade from employees, find an employee's rows here.
    Index("ix_employee_search_employee", "employee_id", "word"),
    sqlite_with_rowid=False,
)


retention_schedules = Table(
    "retention_schedules", metadata,
    Column("state", String, primary_key=True),
    Column("document_years", Integer),  # NULL: kept for ever
    Column("record_years", Integer),
    Column("set_by", String, nullable=False),
    Column("set_at", String, nullable=False),
)

history = Table(
    "history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String, nullable=False),
    Column("employee_id", String, nullable=False),
    Column("action", String, nullable=False),
    Column("actor", String, nullable=False),
    Column("at", String, nullable=False),
    Column("changes", Text, nullable=False),  # JSON: [[field, old, new], ...]
    Index("ix_history_employee", "state", "employee_id", "id"),
    sqlite_autoincrement=True,
)

users = Table(
    "users", metadata,
    Column("id", String, primary_key=True),
    Column("email", String(collation=NOCASE), nullable=False, unique=True),
    Column("role", String, nullable=False),
    Column("state", String),
    Column("password_hash", String, nullable=False),
    Column("created_at", String, nullable=False),
    Column("disabled", Boolean, nullable=False, server_default=text("0")),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("role", String, nullable=False),
    Column("state", String),
    Column("token_hash", String, nullable=False, unique=True),
    Column("created_at", String, nullable=False),
    Column("owner", String),
    Column("expires_at", String),
    Column("last_used_at", String),
)

# Browser logins, kept on the server (only the hash of the cookie's random id).
login_sessions = Table(
    "login_sessions", metadata,
    Column("id_hash", String, primary_key=True),
    Column("user_id", String, nullable=False, index=True),
    Column("created_at", String, nullable=False),
    Column("last_seen_at", String, nullable=False),
    Column("csrf", String, nullable=False),
)

# The transactional outbox of erasure intents. The RecordStore writes rows in the same
# transaction as the change; the erasure worker claims and completes them.
erasure_outbox = Table(
    "erasure_outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("change_id", Text, nullable=False, unique=True),
    Column("state", Text, nullable=False),
    Column("employee_id", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("old_document_id", Text),
    Column("old_key", Text),
    Column("old_size", Integer),
    Column("old_sha256", Text),
    Column("new_document_id", Text),
    Column("new_key", Text),
    Column("actor", Text, nullable=False),
    Column("requested_at", Text, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("claimed_by", Text),
    Column("claimed_until", Text),
    Column("next_attempt_at", Text, nullable=False),
    Column("last_error", Text),
    Column("done_at", Text),
    Column("synthetic", Boolean, nullable=False, server_default=text("0")),  # a canary's record
    Column("retry_from", Text),  # retries stop a duration after this (NULL: requested_at)
    Index("ix_erasure_outbox_due", "status", "next_attempt_at"),
    sqlite_autoincrement=True,
)

# The append-only receipt ledger: one row per erased object, never updated or deleted.
erasure_receipts = Table(
    "erasure_receipts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("size", Integer),
    Column("sha256", Text),
    Column("versions", Text, nullable=False),  # JSON list of version ids
    Column("reason", Text, nullable=False),
    Column("change_id", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("requested_at", Text, nullable=False),
    Column("erased_at", Text, nullable=False),
    Column("result", Text, nullable=False),
    Column("synthetic", Boolean, nullable=False, server_default=text("0")),  # a canary's record
    UniqueConstraint("change_id", "key", name="uq_erasure_receipts_change_key"),
    Index("ix_erasure_receipts_state", "state", "id"),
    sqlite_autoincrement=True,
)

sweep_runs = Table(
    "sweep_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", Text, nullable=False),
    Column("started_at", Text, nullable=False),
    Column("finished_at", Text, nullable=False),
    Column("scanned_files", Integer, nullable=False),
    Column("scanned_records", Integer, nullable=False),
    Column("orphans", Integer, nullable=False),
    Column("dangling", Integer, nullable=False),
    Column("purged", Integer, nullable=False),
    Index("ix_sweep_runs_state", "state", "finished_at"),
)

# The append-only security audit log: one row per event, never updated or deleted. `detail`
# is a JSON object; no column holds a password, token or cookie.
audit_events = Table(
    "audit_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("state", Text),
    Column("subject", Text),
    Column("client", Text),
    Column("detail", Text, nullable=False),
    Index("ix_audit_events_state", "state", "id"),
    Index("ix_audit_events_subject", "subject", "kind"),
    sqlite_autoincrement=True,
)


# Erasure requests: the request as JSON in `data`, beside the columns lists are read by.
erasure_requests = Table(
    "erasure_requests", metadata,
    Column("id", Text, primary_key=True),
    Column("state", Text, nullable=False),
    Column("filed_at", Text, nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_erasure_requests_state", "state", "filed_at"),
)

# Legal holds, kept after release as the record of the matter. `employee_ids` is a JSON list;
# empty holds the whole state.
legal_holds = Table(
    "legal_holds", metadata,
    Column("id", Text, primary_key=True),
    Column("state", Text, nullable=False),
    Column("matter", Text, nullable=False),
    Column("employee_ids", Text, nullable=False),
    Column("placed_by", Text, nullable=False),
    Column("placed_at", Text, nullable=False),
    Column("released_by", Text),
    Column("released_at", Text),
    Index("ix_legal_holds_state", "state", "placed_at"),
)
