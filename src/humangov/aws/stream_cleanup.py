"""Lambda: erase documents when their records go, from the records tables' DynamoDB streams,
and from the streams of earlier applications' tables (HUMANGOV_AWS_LEGACY), whose objects are
erased from their own bucket.

The plan and the erase are the ones the embedded outbox worker runs. Delivery is at least
once; `erase` skips keys the ledger already holds for the record's eventID, so a redelivered
batch writes no second receipt.

**Concurrency.** A batch's records are grouped by item (table and key) and the groups run on
a pool of `WORKERS` threads, each group in stream order: a REMOVE after a MODIFY of one item
never overtakes it, and once a record of an item fails, the item's later records are not
handled (they are reported failed with it and come back in order on the retry). An erasure
is a handful of sequential S3 and DynamoDB calls (list versions, head, reference check,
delete, receipt), so one at a time a shard manages about 17 records/s; 16 threads make that
about 270/s, within the 32 connections each boto3 client pools (`AwsClients`), far below
S3's 3,500 deletes/s per prefix and on-demand DynamoDB's limits, and cheap on a Lambda's one
or two vCPUs because the threads wait on the network. Powertools' BatchProcessor handles
records one by one, so the loop here is our own; it returns the same `batchItemFailures`
(the event source mapping needs `ReportBatchItemFailures`):
https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html

**Dead letters.** The mapping does not tell the function which retry a record is on, so the
handler counts each record's failures itself, by eventID, in the dead-letter table. When a
record has failed `max_attempts` times (HUMANGOV_ERASURE_MAX_ATTEMPTS, set below the
mapping's retry limit so the count is reached before the mapping gives up), or at once on a
refusal retrying cannot lift (`ErasureRefused`: Object Lock retention), it is parked as
a dead letter with its decoded change, attempts and last error, in the same store and format
the local `stream-worker` and `humangov erasure dead-letters` / `retry` / the compliance
report use, and reported done so the shard moves on. The SQS on-failure queue is left for
invocations that never got this far (a timeout, a crash): see `dead_letter_queue`.

**Legal holds.** A record whose employee a legal hold covers (or whose document S3 keeps
under an Object Lock legal hold) is no failure: its change is kept in the same table with
status `held`, reported done, and erased by `serve`'s worker once the hold is released.
"""

from __future__ import annotations

import logging
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import orjson

from humangov.adapters.aws.changes import change_from_record
from humangov.adapters.aws.naming import table_from_arn
from humangov.domain.erasure import DocumentChange, Receipt
from humangov.domain.errors import (
    ErasureHeld,
    ErasureRefused,
    HumanGovError,
    StorageUnavailable,
)
from humangov.domain.holds import held_reason
from humangov.erasure.erase import erase
from humangov.erasure.plan import plan

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

    from humangov.adapters.aws.legacy_source import LegacySource
    from humangov.bootstrap.on_aws import StreamRuntime

log = logging.getLogger(__name__)

WORKERS = 16  # threads erasing one batch's items at once (see above)
METRIC_NAMESPACE, DEAD_LETTER_METRIC = "HumanGov", "ErasureDeadLetters"

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
    keys = plan(change)
    hold = runtime.is_held(state, change.employee_id or None) if keys else None
    if hold is not None:
        raise ErasureHeld(held_reason(hold))
    receipts = erase(state, keys, change, blobs=runtime.blobs,
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
    """Lambda entry point: `{"batchItemFailures": [{"itemIdentifier": <SequenceNumber>}, ...]}`.
    An entirely failed batch is reported like a partial one, so the caller (Lambda's event
    source mapping, or our stream worker) retries and bisects it the same way."""
    records = event.get("Records") or []
    if not records:
        return {"batchItemFailures": []}
    return response(process(records, runtime or default_runtime()))


@dataclass
class Outcome:
    failed: list[dict] = field(default_factory=list)  # to retry, in stream order
    parked: int = 0  # records made dead letters by this batch


def response(outcome: Outcome) -> PartialItemFailureResponse:
    return {"batchItemFailures": [{"itemIdentifier": sequence(r)} for r in outcome.failed]}


def process(records: list[dict], runtime: StreamRuntime) -> Outcome:
    """Handle a batch, each item's records in order and the items concurrently."""
    groups: dict[tuple[str, bytes], list[dict]] = {}
    for raw in records:
        groups.setdefault(_item_of(raw), []).append(raw)
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(groups)),
                            thread_name_prefix="erase") as pool:
        outcomes = list(pool.map(lambda g: _run_in_order(g, runtime), groups.values()))
    position = {id(r): n for n, r in enumerate(records)}
    failed = sorted((r for o in outcomes for r in o.failed), key=lambda r: position[id(r)])
    return Outcome(failed, sum(o.parked for o in outcomes))


def _item_of(raw: dict) -> tuple[str, bytes]:
    """The item a record changes: its table's stream and its key."""
    keys = (raw.get("dynamodb") or {}).get("Keys") or {}
    return raw.get("eventSourceARN") or "", orjson.dumps(keys, option=orjson.OPT_SORT_KEYS)


def _run_in_order(group: list[dict], runtime: StreamRuntime) -> Outcome:
    """One item's records, in order; after a failure the rest wait for the retry."""
    outcome = Outcome()
    for n, raw in enumerate(group):
        settled = _settle(raw, runtime)
        if settled is None:
            outcome.failed = group[n:]
            break
        outcome.parked += settled == "parked"
    return outcome


def _settle(raw: dict, runtime: StreamRuntime) -> Literal["done", "held", "parked"] | None:
    """Done (erased, or nothing to erase), held (a legal hold keeps it), parked as a dead
    letter, or None: to retry."""
    try:
        handle_record(raw, runtime)
        return "done"
    except ErasureHeld as exc:
        if not _legacy(raw, runtime):
            return _park_held(raw, runtime, exc.detail)
        # An earlier application's record is parked without its key: a dead letter.
        error, refused = f"{type(exc).__name__}: {exc.detail}", True
    except Exception as exc:  # any failure is counted, retried, then parked
        error = f"{type(exc).__name__}: {getattr(exc, 'detail', None) or exc}"
        refused = isinstance(exc, ErasureRefused)
        log.warning("stream record %s failed: %s", raw.get("eventID", "?"), error,
                    exc_info=not isinstance(exc, HumanGovError))
    try:
        event_id = str(raw.get("eventID", "?"))
        attempts = runtime.dead_letters.count_failure(event_id, error)
        if attempts < runtime.max_attempts and not refused:
            return None
        change = dead_change(raw, runtime)
        new = runtime.dead_letters.dead_letter(change, legacy_note(raw, runtime) + error,
                                               attempts)
        runtime.dead_letters.forget_failures(event_id)
    except Exception:  # the dead-letter table failing: the mapping retries, then SQS has it
        log.exception("could not count or park the failure of stream record %s",
                      raw.get("eventID", "?"))
        return None
    log.error("stream record %s is a dead letter after %d attempt(s): %s",
              raw.get("eventID"), attempts, error)
    if new:  # a redelivery of a parked record is no second failure to alarm on
        emit_dead_letter_metric(change.state, event_id, runtime.clock.now().timestamp())
    return "parked"


def _legacy(raw: dict, runtime: StreamRuntime) -> bool:
    return table_from_arn(raw.get("eventSourceARN") or "") in runtime.legacy


def _park_held(raw: dict, runtime: StreamRuntime, reason: str) -> Literal["held"] | None:
    """Keep a held erasure's change in the dead-letter table as `held` (not a dead letter:
    no alarm), for `serve`'s worker to erase once the hold is released; None when the table
    fails: the mapping retries."""
    change = dead_change(raw, runtime)
    try:
        runtime.dead_letters.park_held(change, f"held: {reason}")
    except Exception:
        log.exception("could not keep the held stream record %s", raw.get("eventID", "?"))
        return None
    log.info("stream record %s waits for a legal hold: %s", raw.get("eventID"), reason)
    return "held"


def emit_dead_letter_metric(state: str, event_id: str, at: float) -> None:
    """`HumanGov/ErasureDeadLetters` (dimension `State`), in CloudWatch's embedded metric
    format: a parked record is reported done, so the on-failure queue's depth alarm never
    sees it; this metric is what alarms. A line on stdout costs no API call nor permission.
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html"""
    line = {"_aws": {"Timestamp": int(at * 1000), "CloudWatchMetrics": [{
        "Namespace": METRIC_NAMESPACE, "Dimensions": [["State"]],
        "Metrics": [{"Name": DEAD_LETTER_METRIC, "Unit": "Count"}]}]},
        "State": state or "unknown", DEAD_LETTER_METRIC: 1, "eventID": event_id}
    sys.stdout.write(orjson.dumps(line).decode() + "\n")
    sys.stdout.flush()


def dead_change(raw: dict, runtime: StreamRuntime, actor: str = "stream") -> DocumentChange:
    """The change a failed stream record obliged, as a dead letter keeps it for `erasure
    retry`, which erases from it long after the stream has dropped the record."""
    table = table_from_arn(raw.get("eventSourceARN") or "") or ""
    source = runtime.legacy.get(table)
    state = source.state if source else runtime.naming.state_of_table(table)
    change = change_from_record(raw, state) if state else None
    if change is not None and source is None:
        return change
    # Unknown table, nothing decodable, or an earlier application's record: parked without a
    # key. `erasure retry` erases in the state's own bucket, where an earlier bucket's raw key
    # would be receipted "already absent"; that object stays in the earlier bucket's backlog,
    # which the legacy sweep purges. The error names the key.
    return DocumentChange(
        change_id=str(raw.get("eventID")), state=state or "", employee_id="", reason="unknown",
        old=None, new=None, actor=actor, requested_at=runtime.clock.now())


def sequence(raw: dict) -> str:
    return raw["dynamodb"]["SequenceNumber"]


def legacy_note(raw: dict, runtime: StreamRuntime) -> str:
    """For an earlier application's record, the start of its dead letter's error: which
    object it obliged erasing and where that is left, since the dead letter carries no key.
    First, so the error's truncation never cuts the key."""
    table = table_from_arn(raw.get("eventSourceARN") or "") or ""
    source = runtime.legacy.get(table)
    change = change_from_record(raw, source.state) if source else None
    if source is None or change is None or change.old is None:
        return ""
    return (f"Erasing {change.old.key} from the earlier bucket {source.bucket} (now left to "
            "the legacy backlog sweep) failed: ")

