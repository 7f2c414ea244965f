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
from humangov.domain.legacy import is_legacy_item, legacy_record
from humangov.domain.model import DocumentRef

log = logging.getLogger(__name__)

# TTL deletions are made by the DynamoDB service itself:
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/time-to-live-ttl-streams.html
TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
# The earlier application signs nothing: its deletions and edits are the application's own.
LEGACY_ACTOR = "legacy-app"


def is_ttl_removal(record: dict) -> bool:
    identity = record.get("userIdentity") or {}
    return all(identity.get(k) == v for k, v in TTL_IDENTITY.items())


def change_from_record(record: dict, state: str) -> DocumentChange | None:
    """The document change a stream record carries, or None when it carries none.

    REMOVE of an employee with a document -> its erasure ('record-deleted', or the reason
    stamped on the item, such as 'state-offboarded'; a TTL expiry has actor 'ttl', and reason
    'retention-expired' for a separated employee's). MODIFY whose document key changed or
    vanished -> 'document-replaced' (or the reason stamped as `change_reason`). The same for an
    earlier application's item (see _legacy_change). Anything else (INSERT, field edits,
    history items) -> None.
    """
    event = record.get("eventName")
    data = record.get("dynamodb") or {}
    old = from_item(data.get("OldImage") or {})
    new = from_item(data.get("NewImage") or {})
    if event in ("REMOVE", "MODIFY") and is_legacy_item(old):
        return _legacy_change(record, state, old, new)
    if event not in ("REMOVE", "MODIFY") or (old or new).get("kind") != "EMP":
        return None
    old_doc = document_of(old)
    if old_doc is None:
        log.info("stream record %s (%s) has no document key; nothing to erase",
                 record.get("eventID"), event)
        return None
    if event == "REMOVE":
        if is_ttl_removal(record):
            # retention sets the TTL of a separated employee's record (`set_expiry`)
            reason = "retention-expired" if old.get("separated_on") else "record-deleted"
            actor = "ttl"
        else:
            reason = old.get("removal_reason") or "record-deleted"
            actor = old.get("removed_by") or "system"
        new_doc = None
    else:
        new_doc = document_of(new)
        if new_doc is not None and new_doc.key == old_doc.key:
            return None
        reason = new.get("change_reason") or "document-replaced"
        actor = new.get("updated_by") or "system"
    return DocumentChange(
        change_id=str(record["eventID"]), state=state, employee_id=str(old.get("id", "")),
        reason=reason, old=old_doc, new=new_doc, actor=str(actor),
        requested_at=_created(data.get("ApproximateCreationDateTime")),
        synthetic=bool(old.get("synthetic", False)),  # absent on items older than the flag
    )


def _legacy_change(record: dict, state: str, old: dict, new: dict) -> DocumentChange | None:
    """An earlier application's item (`id` and `pdf`, no `kind`; humangov.domain.legacy):
    REMOVE -> erase its `pdf` ('record-deleted', actor 'ttl' for a TTL expiry, else
    LEGACY_ACTOR); MODIFY that changed or dropped `pdf` -> erase the old one
    ('document-replaced'). The raw key goes in `old` with no id or fingerprint: the receipt's
    size and sha256 are read from the object before it is erased."""
    event = record.get("eventName")
    before = legacy_record(old)
    if before is None or before.pdf is None:
        log.info("stream record %s (%s) of an earlier item has no pdf; nothing to erase",
                 record.get("eventID"), event)
        return None
    after = legacy_record(new) if event == "MODIFY" else None
    after_pdf = after.pdf if after is not None else None
    if event == "MODIFY" and after_pdf == before.pdf:
        return None
    if event == "REMOVE":
        reason = "record-deleted"
        actor = "ttl" if is_ttl_removal(record) else LEGACY_ACTOR
    else:
        reason, actor = "document-replaced", LEGACY_ACTOR
    data = record.get("dynamodb") or {}
    return DocumentChange(
        change_id=str(record["eventID"]), state=state, employee_id=before.id, reason=reason,
        old=_raw_ref(before.pdf), new=_raw_ref(after_pdf) if after_pdf else None, actor=actor,
        requested_at=_created(data.get("ApproximateCreationDateTime")),
    )


def _raw_ref(key: str) -> DocumentRef:
    return DocumentRef(id="", key=key, size=0, sha256="")


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
