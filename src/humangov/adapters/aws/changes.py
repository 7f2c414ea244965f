"""DynamoDB stream record -> DocumentChange. Pure: the Lambda, the local stream worker and
the contract tests read the stream through this one function.

Record shape: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_Record.html
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from humangov.adapters.dynamo_items import from_item
from humangov.adapters.records.dynamodb import document_of
from humangov.domain.erasure import DocumentChange

log = logging.getLogger(__name__)

# TTL deletions are made by the DynamoDB service itself:
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/time-to-live-ttl-streams.html
TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


def is_ttl_removal(record: dict) -> bool:
    identity = record.get("userIdentity") or {}
    return all(identity.get(k) == v for k, v in TTL_IDENTITY.items())


def change_from_record(record: dict, state: str) -> DocumentChange | None:
    """The document change a stream record carries, or None when it carries none.

    REMOVE of an employee with a document -> its erasure ('record-deleted', or the reason
    stamped on the item, such as 'state-offboarded'; a TTL expiry has actor 'ttl').
    MODIFY whose document key changed or vanished -> 'document-replaced'. Anything else
    (INSERT, field edits, history items) -> None.
    """
    event = record.get("eventName")
    data = record.get("dynamodb") or {}
    old = from_item(data.get("OldImage") or {})
    new = from_item(data.get("NewImage") or {})
    if event not in ("REMOVE", "MODIFY") or (old or new).get("kind") != "EMP":
        return None
    old_doc = document_of(old)
    if old_doc is None:
        log.info("stream record %s (%s) has no document key; nothing to erase",
                 record.get("eventID"), event)
        return None
    if event == "REMOVE":
        if is_ttl_removal(record):
            reason, actor = "record-deleted", "ttl"
        else:
            reason = old.get("removal_reason") or "record-deleted"
            actor = old.get("removed_by") or "system"
        new_doc = None
    else:
        new_doc = document_of(new)
        if new_doc is not None and new_doc.key == old_doc.key:
            return None
        reason, actor = "document-replaced", new.get("updated_by") or "system"
    return DocumentChange(
        change_id=str(record["eventID"]), state=state, employee_id=str(old.get("id", "")),
        reason=reason, old=old_doc, new=new_doc, actor=str(actor),
        requested_at=_created(data.get("ApproximateCreationDateTime")),
        synthetic=bool(old.get("synthetic", False)),  # absent on items older than the flag
    )


def _created(value: object) -> datetime:
    """ApproximateCreationDateTime: epoch seconds in Lambda events, a datetime from boto3."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) or (
        isinstance(value, str) and value.replace(".", "", 1).isdigit()
    ):
        return datetime.fromtimestamp(float(value), UTC)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)
