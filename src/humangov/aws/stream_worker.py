"""`humangov stream-worker`: Lambda's DynamoDB event source mapping, on one machine.

It reads each provisioned state's table stream, and each earlier application's table attached
in HUMANGOV_AWS_LEGACY (docs/aws.md), the way the mapping does
(https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html): shard by shard, in batches,
from a checkpoint; it hands each batch to `stream_cleanup.handler` as a Lambda event and honours
`batchItemFailures` (the checkpoint advances only to just before the first failed record,
and the batch is retried from there); a failing batch is bisected so the failed record ends
up alone; after `erasure_max_attempts` a record goes to the dead-letter table and the shard
moves on. Records the mapping's filters drop (`stream_filter`: list items, search entries,
counters, history) never reach the handler, as on Lambda. The handler itself counts each
record's failures and parks it after `erasure_max_attempts` (or at once on a refusal), with
the error, as it does on Lambda; the worker's own count, under the same limit, parks only
what the handler never finished. An expired shard iterator (they last 15 minutes) is replaced
by a fresh one from the checkpoint.

Checkpoints live in a small JSON file in the data directory, written atomically.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from humangov.adapters.aws.naming import table_from_arn
from humangov.aws import stream_cleanup
from humangov.aws.stream_filter import LEGACY_ITEM_FILTERS, OWN_ITEM_FILTERS, passes
from humangov.erasure.worker import backoff

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from mypy_boto3_dynamodbstreams.type_defs import ShardTypeDef

    from humangov.adapters.aws.clients import AwsClients
    from humangov.adapters.erasure.dynamodb import DynamoDBDeadLetters
    from humangov.bootstrap.on_aws import StreamRuntime

log = logging.getLogger(__name__)

BATCH_SIZE = 100  # the mapping's default for DynamoDB streams
EMPTY_PAGES = 3  # with --once: stop a shard after this many empty pages in a row


class Checkpoints:
    """{stream arn: {shard id: last sequence number done}} in a JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._data: dict[str, dict[str, str]] = (
            json.loads(path.read_text()) if path.exists() else {})

    def get(self, stream: str, shard: str) -> str | None:
        return self._data.get(stream, {}).get(shard)

    def set(self, stream: str, shard: str, sequence: str) -> None:
        with self._lock:
            self._data.setdefault(stream, {})[shard] = sequence
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self._data, indent=1, sort_keys=True))
            os.replace(tmp, self.path)


@dataclass
class Stats:
    delivered: int = 0  # records done: erased, nothing to erase, or dropped by the filters
    retried: int = 0
    dead_lettered: int = 0
    batches: int = 0
    iterator_renewals: int = 0
    states: list[str] = field(default_factory=list)


class StreamWorker:
    def __init__(self, *, runtime: StreamRuntime, clients: AwsClients, checkpoints: Checkpoints,
                 dead_letters: DynamoDBDeadLetters, max_attempts: int = 8,
                 base_backoff: float = 1.0, max_backoff: float = 30.0,
                 batch_size: int = BATCH_SIZE,
                 handler: Callable[[dict], PartialItemFailureResponse] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.runtime, self.clients = runtime, clients
        self.records, self.naming = runtime.records, runtime.naming
        self.checkpoints, self.dead_letters = checkpoints, dead_letters
        self.max_attempts = max_attempts
        self.base_backoff, self.max_backoff = base_backoff, max_backoff
        self.batch_size = batch_size
        self.handler = handler or self._handle
        self.parked = 0  # records the handler made dead letters
        self.sleep = sleep
        self.rng = random.Random()

    # reading ------------------------------------------------------------------------------
    def run_once(self, *, drain: bool = True) -> Stats:
        """One pass over every provisioned state's stream, up to its current end."""
        stats = Stats()
        tables = [(s.code, self.naming.table(s.code), OWN_ITEM_FILTERS)
                  for s in self.records.list_states()]
        # and the earlier applications' tables attached to a state (Settings.aws_legacy)
        tables += [(source.state, table, LEGACY_ITEM_FILTERS)
                   for table, source in self.runtime.legacy.items()]
        for code, table, patterns in tables:
            stats.states.append(code)
            arn = self._stream_arn(table)
            if arn is None:
                log.warning("table %s of %s has no stream; nothing to read", table, code)
                continue
            for shard in self._shards(arn):
                self._read_shard(arn, shard, patterns, stats, drain=drain)
        return stats

    def run_forever(self, stop: threading.Event, poll_seconds: float = 1.0) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:  # AWS unreachable for a moment: keep the checkpoints, try again
                log.exception("stream worker pass failed")
            stop.wait(poll_seconds)

    def _stream_arn(self, table: str) -> str | None:
        try:
            table_info = self.clients.dynamodb.describe_table(TableName=table)["Table"]
            return table_info.get("LatestStreamArn")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                return None
            raise

    def _shards(self, arn: str) -> list[ShardTypeDef]:
        shards: list[ShardTypeDef] = []
        start = None
        while True:
            kwargs: dict[str, Any] = {"StreamArn": arn}
            if start:
                kwargs["ExclusiveStartShardId"] = start
            desc = self.clients.streams.describe_stream(**kwargs)["StreamDescription"]
            shards += desc["Shards"]
            start = desc.get("LastEvaluatedShardId")
            if not start:
                break
        # Parents before children, so a key's changes are handled in order across a split.
        ids = {s["ShardId"] for s in shards}
        return sorted(shards, key=lambda s: (s.get("ParentShardId") in ids, s["ShardId"]))

    def _iterator(self, arn: str, shard: str) -> str | None:
        checkpoint = self.checkpoints.get(arn, shard)
        kwargs: dict[str, Any] = {"StreamArn": arn, "ShardId": shard}
        if checkpoint is None:
            kwargs["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=checkpoint)
        return self.clients.streams.get_shard_iterator(**kwargs).get("ShardIterator")

    def _read_shard(self, arn: str, shard: ShardTypeDef, patterns: list[dict], stats: Stats,
                    *, drain: bool) -> None:
        shard_id = shard["ShardId"]
        iterator = self._iterator(arn, shard_id)
        empty = 0
        while iterator:
            try:
                page = self.clients.streams.get_records(
                    ShardIterator=iterator, Limit=self.batch_size
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ExpiredIteratorException":
                    raise
                log.info("shard iterator of %s expired; resuming from the checkpoint", shard_id)
                stats.iterator_renewals += 1
                iterator = self._iterator(arn, shard_id)
                continue
            batch = [lambda_record(r, arn) for r in page.get("Records", [])]
            if not batch:
                empty += 1
                if drain and empty >= EMPTY_PAGES:
                    return
                iterator = page.get("NextShardIterator")
                continue
            empty = 0
            wanted = [r for r in batch if passes(r, patterns)]
            if wanted:
                stats.batches += 1
                self._deliver(arn, shard_id, wanted, stats)
            # what the filters dropped is done too: the next pass starts after the page
            stats.delivered += len(batch) - len(wanted)
            self.checkpoints.set(arn, shard_id, seq(batch[-1]))
            iterator = page.get("NextShardIterator")

    # delivering ---------------------------------------------------------------------------
    def _handle(self, event: dict) -> PartialItemFailureResponse:
        """The Lambda handler's work, noting how many records it parked."""
        outcome = stream_cleanup.process(event["Records"], self.runtime)
        self.parked += outcome.parked
        return stream_cleanup.response(outcome)

    def _deliver(self, arn: str, shard: str, batch: list[dict], stats: Stats) -> None:
        attempts: dict[str, int] = {}
        queue: list[list[dict]] = [batch]
        while queue:
            part = queue.pop(0)
            parked = self.parked
            failed_at = self._invoke(part)
            stats.dead_lettered += self.parked - parked
            done = part if failed_at is None else part[:failed_at]
            if done:
                stats.delivered += len(done)
                self.checkpoints.set(arn, shard, seq(done[-1]))
            if failed_at is None:
                continue
            rest = part[failed_at:]
            head = rest[0]
            attempts[seq(head)] = attempts.get(seq(head), 0) + 1
            if attempts[seq(head)] >= self.max_attempts:
                self._dead_letter(head, attempts[seq(head)])
                stats.dead_lettered += 1
                self.checkpoints.set(arn, shard, seq(head))
                rest = rest[1:]
                if rest:
                    queue.insert(0, rest)
                continue
            stats.retried += 1
            self.sleep(backoff(attempts[seq(head)], self.base_backoff, self.max_backoff, self.rng))
            # Bisect: the half holding the failed record is retried apart from the other half.
            if len(rest) > 1:
                mid = (len(rest) + 1) // 2
                queue[:0] = [rest[:mid], rest[mid:]]
            else:
                queue.insert(0, rest)

    def _invoke(self, part: list[dict]) -> int | None:
        """Index of the first failed record, or None if the whole part succeeded."""
        try:
            result = self.handler({"Records": part})
        except Exception:  # the function itself failed: the whole batch counts as failed
            log.exception("stream handler failed on a batch of %d", len(part))
            return 0
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        for i, record in enumerate(part):
            if seq(record) in failed:
                return i
        return None

    def _dead_letter(self, record: dict, attempts: int) -> None:
        """What Lambda's on-failure queue gets on AWS; here it goes straight to the store."""
        table = table_from_arn(record.get("eventSourceARN", "")) or ""
        error = (stream_cleanup.legacy_note(record, self.runtime)
                 + f"stream record {record.get('eventID')} (sequence {seq(record)}, table "
                   f"{table}) failed {attempts} times; see the stream worker's log for the cause")
        log.error("dead letter: %s", error)
        self.dead_letters.dead_letter(
            stream_cleanup.dead_change(record, self.runtime, actor="stream-worker"),
            error, attempts)


seq = stream_cleanup.sequence


def lambda_record(record: Mapping[str, Any], stream_arn: str) -> dict:
    """A GetRecords record as Lambda delivers it: with eventSourceARN, time in epoch seconds."""
    out = dict(record)
    out["eventSourceARN"] = stream_arn
    data = dict(record.get("dynamodb") or {})
    created = data.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        data["ApproximateCreationDateTime"] = created.timestamp()
    out["dynamodb"] = data
    return out
