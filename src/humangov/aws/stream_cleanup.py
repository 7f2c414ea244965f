"""Lambda: erase documents when their records go, from the records tables' DynamoDB streams.

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
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from humangov.aws.changes import change_from_record
from humangov.aws.naming import Naming, table_from_arn
from humangov.domain.erasure import Receipt
from humangov.domain.errors import HumanGovError
from humangov.erasure.erase import erase
from humangov.erasure.plan import plan

log = logging.getLogger(__name__)


class UnknownTable(HumanGovError):
    title = "Unknown table"


@dataclass
class Runtime:
    naming: Naming
    blobs: Any
    records: Any
    ledger: Any
    clock: Any


def build_runtime(settings=None, clients=None, clock=None) -> Runtime:
    from humangov.adapters.blobs.s3 import S3BlobStore
    from humangov.adapters.clock import SystemClock
    from humangov.adapters.erasure.dynamodb import DynamoDBLedger
    from humangov.adapters.records.dynamodb import DynamoDBRecordStore
    from humangov.aws.clients import AwsClients
    from humangov.config import Settings

    settings = settings or Settings(backend="aws")
    clients = clients or AwsClients(settings)
    naming = Naming.from_settings(settings)
    return Runtime(
        naming=naming, blobs=S3BlobStore(clients, naming),
        records=DynamoDBRecordStore(clients, naming, settings.aws_platform_table),
        ledger=DynamoDBLedger(clients, settings.aws_ledger_table), clock=clock or SystemClock(),
    )


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def default_runtime() -> Runtime:
    """Built on the first invocation (never at import) and reused while the container lives."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = build_runtime()
        return _runtime


def handle_record(raw: dict, runtime: Runtime) -> list[Receipt]:
    """Erase what one stream record obliges us to; raise to mark it failed."""
    event_id = raw.get("eventID", "?")
    table = table_from_arn(raw.get("eventSourceARN") or "")
    state = runtime.naming.state_of_table(table) if table else None
    if state is None:
        raise UnknownTable(
            f"Stream record {event_id} comes from table {table!r}, which is no state's records "
            f"table (pattern {runtime.naming.table_pattern!r}). Check HUMANGOV_AWS_TABLE_PATTERN "
            "and the function's event source mappings.")
    change = change_from_record(raw, state)
    if change is None:
        return []
    receipts = erase(state, plan(change), change, blobs=runtime.blobs,
                     is_referenced=runtime.records.is_referenced, ledger=runtime.ledger,
                     clock=runtime.clock)
    for r in receipts:
        log.info("erased %s/%s (%s, %s, %d versions) for %s", state, r.key, r.reason, r.result,
                 len(r.versions), event_id)
    return receipts


def handler(event: dict, context: Any = None, *, runtime: Runtime | None = None) -> dict:
    """Lambda entry point: `{"batchItemFailures": [{"itemIdentifier": <SequenceNumber>}, ...]}`."""
    if not event.get("Records"):  # Powertools refuses an empty batch; there is nothing to do
        return {"batchItemFailures": []}
    rt = runtime or default_runtime()
    # An entirely failed batch is reported like a partial one, so the caller (Lambda's event
    # source mapping, or our stream worker) retries and bisects it the same way.
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)

    def record_handler(record: DynamoDBRecord) -> int:
        return len(handle_record(record.raw_event, rt))

    return process_partial_response(event=event, record_handler=record_handler,
                                    processor=processor, context=context)
