"""The one codec between a DocumentChange and its stored form: an outbox row in SQLite and
a dead-letter item in DynamoDB hold the same plain, JSON-able values under the same names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from humangov.adapters.timecodec import from_text, to_text
from humangov.domain.erasure import DocumentChange
from humangov.domain.model import DocumentRef


def change_to_row(change: DocumentChange) -> dict[str, str | int | None]:
    old, new = change.old, change.new
    return {
        "change_id": change.change_id, "state": change.state, "employee_id": change.employee_id,
        "reason": change.reason, "actor": change.actor,
        "old_document_id": old.id if old else None, "old_key": old.key if old else None,
        "old_size": old.size if old else None, "old_sha256": old.sha256 if old else None,
        # Only the new key and id are kept: the planner compares keys and never erases `new`.
        "new_document_id": new.id if new else None, "new_key": new.key if new else None,
        "requested_at": to_text(change.requested_at), "synthetic": change.synthetic,
    }


# Keys typed Any: SQLAlchemy's RowMapping is keyed by names and columns alike.
def change_from_row(row: Mapping[Any, Any]) -> DocumentChange:
    """Reads what change_to_row wrote; an absent value reads as None (DynamoDB items drop
    None attributes), and numbers may come back as Decimal (DynamoDB's number type)."""
    old_key, new_key = row.get("old_key"), row.get("new_key")
    old = DocumentRef(row.get("old_document_id") or "", old_key, int(row.get("old_size") or 0),
                      row.get("old_sha256") or "") if old_key else None
    new = DocumentRef(row.get("new_document_id") or "", new_key, 0, "") if new_key else None
    return DocumentChange(
        change_id=row["change_id"], state=row["state"], employee_id=row["employee_id"],
        reason=row["reason"], old=old, new=new, actor=row["actor"],
        requested_at=from_text(row["requested_at"]),
        # Absent in dead letters parked before the flag existed: those were the state's own.
        synthetic=bool(row.get("synthetic") or False),
    )
