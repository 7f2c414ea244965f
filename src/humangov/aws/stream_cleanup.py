"""Lambda: erase documents when their records go, from the records tables' DynamoDB streams,
and from the streams of earlier applications' tables (HUMANGOV_AWS_LEGACY), whose objects are
erased from their own bucket.

Each record is handled on its own by Powertools' BatchProcessor, which returns
`batchItemFailures` so one bad record never blocks its shard (the event source mapping needs
`ReportBatchItemFailures`): https://docs.powertools.aws.dev/lambda/python/latest/utilities/batch/
The plan and the erase are the ones the embedded outbox worker runs. Delivery is at least
once; `erase` skips keys the ledger already holds for the record's eventID, so a redelivered
batch writes no second receipt.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from humangov.adapters.aws.changes import change_from_record
from humangov.adapters.aws.naming import table_from_arn
from humangov.domain.erasure import Receipt
from humangov.domain.errors import HumanGovError, StorageUnavailable
from humangov.erasure.erase import erase
from humangov.erasure.plan import plan

if TYPE_CHECKING:
    from humangov.adapters.aws.legacy_source import LegacySource
    from humangov.bootstrap.on_aws import StreamRuntime

log = logging.getLogger(__name__)


class UnknownTable(HumanGovError):
    title = "Unknown table"


_runtime: StreamRuntime | None = None
_runtime_lock = threading.Lock()


def default_runtime() -> StreamRuntime:
    """Built on the first invocation (never at import) and reused while the container lives."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            from humangov.bootstrap import lambda_runtime

            _runtime = lambda_runtime()
        return _runtime


def handle_record(raw: dict, runtime: StreamRuntime) -> list[Receipt]:
    """Erase what one stream record obliges us to; raise to mark it failed."""
    event_id = raw.get("eventID", "?")
    table = table_from_arn(raw.get("eventSourceARN") or "")
    source = runtime.legacy.get(table or "")
    if source is not None:
        return _handle_legacy(raw, source, runtime)
    state = runtime.naming.state_of_table(table) if table else None
    if state is None:
        raise UnknownTable(
            f"Stream record {event_id} comes from table {table!r}, which is no state's records "
            f"table (pattern {runtime.naming.table_pattern!r}) and no earlier application's "
            "table with a bucket configured (HUMANGOV_AWS_LEGACY). Check those settings and "
            "the function's event source mappings.")
    change = change_from_record(raw, state)
    if change is None:
        return []
    receipts = erase(state, plan(change), change, blobs=runtime.blobs,
                     is_referenced=runtime.records.is_referenced, ledger=runtime.ledger,
                     clock=runtime.clock)
    _log(receipts, state, event_id)
    return receipts


def _handle_legacy(raw: dict, source: LegacySource, runtime: StreamRuntime) -> list[Receipt]:
    """A record of an earlier application's table: its objects are erased from its own bucket,
    by raw key, and receipted in the state's ledger like HumanGov's."""
    state = source.state
    change = change_from_record(raw, state)
    if change is None:
        return []
    try:  # before anything is read, erased or receipted: never another bucket's answer
        source.objects.verify_space(state)
    except StorageUnavailable as exc:
        raise StorageUnavailable(
            f"{exc.detail} This is the earlier application's bucket of {state}: "
            f"`humangov legacy attach --state {state} --legacy-table {source.table} "
            f"--legacy-bucket {source.bucket}` tags it.") from None
    receipts = erase(state, plan(change), change, blobs=source.objects,
                     is_referenced=lambda _state, key: source.names(change.employee_id, key),
                     ledger=runtime.ledger, clock=runtime.clock)
    _log(receipts, state, raw.get("eventID", "?"))
    return receipts


def _log(receipts: list[Receipt], state: str, event_id: str) -> None:
    for r in receipts:
        log.info("erased %s/%s (%s, %s, %d versions) for %s", state, r.key, r.reason, r.result,
                 len(r.versions), event_id)


def handler(
    event: dict, context: Any = None, *, runtime: StreamRuntime | None = None
) -> PartialItemFailureResponse:
    """Lambda entry point: `{"batchItemFailures": [{"itemIdentifier": <SequenceNumber>}, ...]}`."""
    if not event.get("Records"):  # Powertools refuses an empty batch; there is nothing to do
        return {"batchItemFailures": []}
    rt = runtime or default_runtime()
    # An entirely failed batch is reported like a partial one, so the caller (Lambda's event
    # source mapping, or our stream worker) retries and bisects it the same way.
    processor = BatchProcessor(
        event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False
    )

    def record_handler(record: DynamoDBRecord) -> int:
        return len(handle_record(record.raw_event, rt))

    return process_partial_response(event=event, record_handler=record_handler,
                                    processor=processor, context=context)
