"""`humangov erasure import-queue`: the SQS on-failure queue turned into dead letters.

The erasure Lambda parks its own final failures (see `stream_cleanup`); what still reaches
the queue are batches whose invocation never got that far (a timeout, an out-of-memory
crash, a failing dead-letter table). Lambda's on-failure record for a DynamoDB stream holds
no records, only where they are: `DDBStreamBatchInfo` with `shardId`, `streamArn`,
`startSequenceNumber`, `endSequenceNumber`, `batchSize` and the arrival times, beside
`requestContext` (`condition`, `approximateInvokeCount`) and `responseContext`
(https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html; Powertools
parses the same shape as `DynamoDBStreamLambdaOnFailureDestinationModel`).

So the records are read back from the stream (`GetShardIterator` AT_SEQUENCE_NUMBER, then
`GetRecords` up to the end sequence number) while the stream still holds them, which is
24 hours, and each record that obliges an erasure not yet receipted becomes a dead letter
through the same store the Lambda and `stream-worker` use (one per eventID: the store keeps
the first). A message is deleted only once all its dead letters are written. When the
stream has trimmed its records (or the stream is gone), the message is kept and the outcome
says what to do instead: the orphan sweep finds the files those records left behind.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import orjson
from botocore.exceptions import ClientError

from humangov.adapters.aws.naming import table_from_arn
from humangov.aws.stream_cleanup import dead_change, legacy_note, sequence
from humangov.aws.stream_worker import lambda_record
from humangov.erasure.plan import plan

if TYPE_CHECKING:
    from humangov.adapters.aws.clients import AwsClients
    from humangov.bootstrap.on_aws import StreamRuntime

log = logging.getLogger(__name__)

VISIBILITY_SECONDS = 300  # a message being imported stays hidden from a second importer
GONE = {"TrimmedDataAccessException", "ResourceNotFoundException"}


@dataclass(frozen=True)
class Imported:
    """What became of one queue message."""

    message_id: str
    dead_letters: int  # records newly parked from it
    kept: bool  # the message is still in the queue
    note: str


class QueueImport:
    def __init__(self, clients: AwsClients, runtime: StreamRuntime) -> None:
        self.clients, self.runtime = clients, runtime

    def run(self, queue_url: str) -> list[Imported]:
        """Every message the queue shows now, once each (a kept message stays hidden for
        VISIBILITY_SECONDS, so the loop ends when the queue has shown them all)."""
        sqs = self.clients.get("sqs")
        out: list[Imported] = []
        while True:
            got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                      VisibilityTimeout=VISIBILITY_SECONDS, WaitTimeSeconds=0)
            messages = got.get("Messages", [])
            if not messages:
                return out
            for message in messages:
                outcome = self._one(queue_url, message)
                if not outcome.kept:
                    sqs.delete_message(QueueUrl=queue_url,
                                       ReceiptHandle=message["ReceiptHandle"])
                out.append(outcome)

    def _one(self, queue_url: str, message: dict) -> Imported:
        message_id = message["MessageId"]
        try:
            body = orjson.loads(message["Body"])
            info = body["DDBStreamBatchInfo"]
            arn, shard = info["streamArn"], info["shardId"]
            start, end = info["startSequenceNumber"], info["endSequenceNumber"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return Imported(message_id, 0, True, "not a DynamoDB stream on-failure record "
                            "(no DDBStreamBatchInfo); kept for a person to read")
        context = body.get("requestContext") or {}
        cause = (f"Lambda gave up on this stream record ({context.get('condition', '?')} after "
                 f"{context.get('approximateInvokeCount', '?')} invocation(s), "
                 f"{(body.get('responseContext') or {}).get('functionError') or 'no error'} "
                 f"reported) before the handler could park it: see the function's log around "
                 f"{body.get('timestamp', '?')}. Imported from the queue {queue_url}, message "
                 f"{message_id}.")
        try:
            records = list(self._records(arn, shard, start, end))
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in GONE:
                raise
            records = []
        if not records:
            return Imported(message_id, 0, True, (
                f"the stream {arn} no longer holds records {start}..{end} of shard {shard} "
                "(DynamoDB Streams keeps them 24 hours); kept. The documents they obliged "
                "erasing are orphans now: run `humangov orphans scan --state "
                f"{self._state_of(arn) or 'XX'}` and `humangov orphans purge` to erase them "
                "with receipts, then delete the message."))
        parked = sum(self._park(raw, cause, int(context.get("approximateInvokeCount") or 0))
                     for raw in records)
        return Imported(message_id, parked, False,
                        f"{len(records)} record(s) read back from the stream, "
                        f"{parked} new dead letter(s)")

    def _records(self, arn: str, shard: str, start: str, end: str) -> Iterator[dict]:
        streams = self.clients.streams
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=start).get("ShardIterator")
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            if not page.get("Records"):
                return
            for record in page["Records"]:
                raw = lambda_record(record, arn)
                if int(sequence(raw)) > int(end):
                    return
                yield raw
            iterator = page.get("NextShardIterator")

    def _park(self, raw: dict, cause: str, attempts: int) -> int:
        """1 when the record is now a dead letter; 0 when it was one already (the store keeps
        one per eventID) or obliges nothing left to do."""
        change = dead_change(raw, self.runtime, actor="stream")
        note = legacy_note(raw, self.runtime)
        if change.old is not None and all(self.runtime.ledger.has(change.change_id, key)
                                          for key in plan(change)):
            return 0  # erased after all (a later record of the batch failed, not this one)
        if change.old is None and not note and change.state:
            return 0  # a state's record that frees no document: a history item, an edit
        # What remains: an erasure not done, an earlier application's (its key in the note),
        # or a record of no known table, which a person must look at.
        return int(self.runtime.dead_letters.dead_letter(change, note + cause, attempts))

    def _state_of(self, stream_arn: str) -> str | None:
        table = table_from_arn(stream_arn) or ""
        source = self.runtime.legacy.get(table)
        return source.state if source else self.runtime.naming.state_of_table(table)


def summary(results: list[Imported]) -> dict[str, Any]:
    return {"messages": len(results), "dead_letters": sum(r.dead_letters for r in results),
            "kept": sum(r.kept for r in results),
            "outcomes": [asdict(r) for r in results]}
