"""DynamoDB ledger and dead-letter queue for the AWS backend.

On AWS the change feed is the records table's stream, so there is no transactional outbox.
What remains of the `ErasureOutbox` port is the place where stream records that exhausted
their retries are parked, by the erasure Lambda and the local `stream-worker` alike:
`humangov erasure dead-letters` lists them, `retry` makes them pending again, and `serve`'s
worker (or `humangov worker`) claims and erases them from the recorded change like any outbox
intent. The Lambda also counts its failed attempts per stream record here (`ATTEMPTS` items).

Ledger items are keyed by (change id, key), so a redelivered stream record cannot write a
second receipt: the put is conditional on the item not existing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from humangov.adapters import cursors
from humangov.adapters.change_codec import change_from_row, change_to_row
from humangov.adapters.clock import SystemClock
from humangov.adapters.dynamo_items import code, from_item, query_all, to_item, translating
from humangov.adapters.timecodec import from_text, to_text
from humangov.domain.erasure import RETRIED, DocumentChange, ErasureIntent, Receipt, SweepRun
from humangov.ports import Clock

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from humangov.adapters.aws.clients import AwsClients

MAX_ERROR = 500


class DynamoDBLedger:
    def __init__(self, clients: AwsClients, table: str) -> None:
        self.clients, self.table = clients, table

    @property
    def _ddb(self) -> DynamoDBClient:
        return self.clients.dynamodb

    def append(self, receipts: list[Receipt]) -> None:
        with translating("The erasure ledger"):
            for r in receipts:
                try:
                    self._ddb.put_item(TableName=self.table, Item=_receipt_item(r),
                                       ConditionExpression="attribute_not_exists(pk)")
                except ClientError as exc:
                    if code(exc) != "ConditionalCheckFailedException":  # already receipted
                        raise

    def has(self, change_id: str, key: str) -> bool:
        with translating("The erasure ledger"):
            got = self._ddb.get_item(TableName=self.table, ConsistentRead=True,
                                     Key={"pk": {"S": _receipt_pk(change_id, key)},
                                          "sk": {"S": "R"}})
        return "Item" in got

    def receipts(self, state: str, *, limit: int, cursor: str | None,
                 since: datetime | None = None,
                 synthetic: bool | None = None) -> tuple[list[Receipt], str | None]:
        kwargs = self._by_state(state, since, synthetic)
        if cursor:
            kwargs["ExclusiveStartKey"] = _start_key(state, cursors.decode(cursor, _seq))
        items: list[dict] = []
        with translating("The erasure ledger"):
            # Limit counts items read before the filter, so a page may come back short:
            # read on until one more than the page matched, or the index ends.
            while len(items) <= limit:
                got = self._ddb.query(**kwargs, ScanIndexForward=False, Limit=limit + 1)
                items.extend(got.get("Items", []))
                if "LastEvaluatedKey" not in got:
                    break
                kwargs["ExclusiveStartKey"] = got["LastEvaluatedKey"]
        page = items[:limit]
        nxt = cursors.encode(page[-1]["seq"]["S"]) if len(items) > limit else None
        return [_receipt(from_item(i)) for i in page], nxt

    def totals(self, state: str, since: datetime | None = None, *,
               synthetic: bool | None = None) -> dict[str, int]:
        out: dict[str, int] = {}
        with translating("The erasure ledger"):
            for item in query_all(self._ddb, **self._by_state(state, since, synthetic),
                                  ProjectionExpression="reason"):
                reason = item["reason"]["S"]
                out[reason] = out.get(reason, 0) + 1
        return out

    def record_sweep(self, run: SweepRun) -> None:
        with translating("The erasure ledger"):
            self._ddb.put_item(TableName=self.table, Item=to_item({
                "pk": f"SWEEP#{run.state}", "sk": to_text(run.finished_at), "run_state": run.state,
                "started_at": to_text(run.started_at), "finished_at": to_text(run.finished_at),
                "scanned_files": run.scanned_files, "scanned_records": run.scanned_records,
                "orphans": run.orphans, "dangling": run.dangling, "purged": run.purged}))

    def latest_sweep(self, state: str) -> SweepRun | None:
        with translating("The erasure ledger"):
            items = self._ddb.query(TableName=self.table, KeyConditionExpression="pk = :p",
                                    ExpressionAttributeValues={":p": {"S": f"SWEEP#{state}"}},
                                    ScanIndexForward=False, Limit=1).get("Items", [])
        if not items:
            return None
        v = from_item(items[0])
        return SweepRun(state, from_text(v["started_at"]), from_text(v["finished_at"]),
                        int(v["scanned_files"]), int(v["scanned_records"]), int(v["orphans"]),
                        int(v["dangling"]), int(v["purged"]))

    def _by_state(self, state: str, since: datetime | None, synthetic: bool | None) -> dict:
        condition = "#s = :s"
        values: dict[str, dict[str, Any]] = {":s": {"S": state}}
        if since is not None:
            condition += " AND seq >= :since"
            values[":since"] = {"S": to_text(since)}
        query: dict[str, Any] = {
            "TableName": self.table, "IndexName": "by_state",
            "KeyConditionExpression": condition, "ExpressionAttributeNames": {"#s": "state"},
            "ExpressionAttributeValues": values}
        if synthetic is not None:
            values[":synthetic"] = {"BOOL": True}
            # Receipts written before the flag existed have no attribute: the state's own.
            query["FilterExpression"] = ("synthetic = :synthetic" if synthetic
                                         else "attribute_not_exists(synthetic) "
                                              "OR synthetic <> :synthetic")
        return query


def _receipt_pk(change_id: str, key: str) -> str:
    return f"R#{change_id}#{key}"


def _receipt_item(r: Receipt) -> dict:
    return to_item({
        "pk": _receipt_pk(r.change_id, r.key), "sk": "R", "state": r.state,
        "seq": f"{to_text(r.erased_at)}#{r.change_id}#{r.key}",
        "key": r.key, "size": r.size, "sha256": r.sha256, "versions": list(r.versions),
        "reason": r.reason, "change_id": r.change_id, "actor": r.actor,
        "requested_at": to_text(r.requested_at), "erased_at": to_text(r.erased_at),
        "result": r.result, "synthetic": r.synthetic,
    })


def _receipt(v: dict) -> Receipt:
    return Receipt(
        state=v["state"], key=v["key"], size=int(v["size"]) if v.get("size") is not None else None,
        sha256=v.get("sha256"), reason=v["reason"], change_id=v["change_id"], actor=v["actor"],
        requested_at=from_text(v["requested_at"]), erased_at=from_text(v["erased_at"]),
        result=v["result"], versions=tuple(v.get("versions", [])),
        synthetic=bool(v.get("synthetic", False)),  # absent on receipts older than the flag
    )


def _seq(value: Any) -> str:
    """Validates a cursor: the `seq` of the last receipt seen, `<erased at>#<change id>#<key>`.
    DynamoDB caps an index sort key at 1024 bytes, so a longer one was never issued."""
    if not (isinstance(value, str) and "#" in value and len(value.encode()) <= 1024):
        raise ValueError("not a receipt position")
    return value


def _start_key(state: str, seq: str) -> dict:
    """The whole key of the receipt at `seq`, the index's (state, seq) and the table's (pk, sk),
    which is what DynamoDB resumes a query on an index from. The pk is R#<change id>#<key>,
    the part of seq after the time."""
    return to_item({"pk": f"R#{seq.partition('#')[2]}", "sk": "R", "state": state, "seq": seq})


class DynamoDBDeadLetters:
    """The `ErasureOutbox` port over a small table of stream records that could not be erased."""

    def __init__(self, clients: AwsClients, table: str, clock: Clock | None = None) -> None:
        self.clients, self.table = clients, table
        self._now = (clock or SystemClock()).now

    @property
    def _ddb(self) -> DynamoDBClient:
        return self.clients.dynamodb

    def enqueue(self, change: DocumentChange) -> None:
        self._insert(change, "pending", None, 0)

    def dead_letter(self, change: DocumentChange, error: str, attempts: int) -> bool:
        """Park a change whose retries are exhausted. Idempotent per change id: False when
        it was parked before (the first stays)."""
        return self._insert(change, "dead", error, attempts)

    def count_failure(self, record_id: str, error: str) -> int:
        """One more failed attempt at the stream record `record_id` (its eventID), with its
        error; returns how many there have been. Lambda's event source mapping does not tell
        the handler which retry it is on, so the handler keeps count here (one UpdateItem ADD,
        atomic however many invocations race)."""
        with translating("The dead-letter table"):
            got = self._ddb.update_item(
                TableName=self.table, Key=_attempts_key(record_id),
                UpdateExpression="ADD attempts :one SET last_error = :e, last_at = :now",
                ExpressionAttributeValues=to_item({":one": 1, ":e": error[:MAX_ERROR],
                                                   ":now": to_text(self._now())}),
                ReturnValues="UPDATED_NEW")
        return int(got["Attributes"]["attempts"]["N"])

    def forget_failures(self, record_id: str) -> None:
        """Once the record is a dead letter its count has served (the dead letter keeps it)."""
        with translating("The dead-letter table"):
            self._ddb.delete_item(TableName=self.table, Key=_attempts_key(record_id))

    def has_due(self, now: datetime) -> bool:
        return any(_due(v, to_text(now)) for v in self._intents())

    def claim(self, worker: str, limit: int, now: datetime,
              lease_seconds: float) -> list[ErasureIntent]:
        until = to_text(now + timedelta(seconds=lease_seconds))
        out: list[ErasureIntent] = []
        for v in self._intents():
            if len(out) >= limit:
                break
            if not _due(v, to_text(now)):
                continue
            # One conditional update claims it: two workers never both win
            # (the healthchecks "claim, then check one row changed" pattern).
            claimed = self._conditional(
                Key=_intent_key(v["id"]),
                UpdateExpression="SET claimed_by = :w, claimed_until = :u ADD attempts :one",
                ConditionExpression="#st = :pending AND (attribute_not_exists(claimed_until) "
                                    "OR claimed_until < :now)",
                ExpressionAttributeNames={"#st": "status"},
                ExpressionAttributeValues=to_item({":w": worker, ":u": until, ":one": 1,
                                                   ":pending": "pending", ":now": to_text(now)}))
            if not claimed:
                continue
            out.append(replace(_intent(v), attempts=int(v.get("attempts", 0)) + 1))
        return out

    def renew(self, intent_ids: list[int], worker: str, until: datetime) -> None:
        for intent_id in intent_ids:
            self._update(intent_id, worker, "SET claimed_until = :u", {":u": to_text(until)})

    def complete(self, intent_ids: list[int], worker: str) -> int:
        return sum(self._update(i, worker, "SET #st = :done REMOVE claimed_by, claimed_until",
                                {":done": "done"}) for i in intent_ids)

    def claimants(self) -> set[str]:
        return {v["claimed_by"] for v in self._intents()
                if v["status"] == "pending" and v.get("claimed_by")}

    def release(self, workers: list[str]) -> int:
        return sum(self._update(int(v["id"]), v["claimed_by"],
                                "REMOVE claimed_by, claimed_until", {})
                   for v in self._intents()
                   if v["status"] == "pending" and v.get("claimed_by") in workers)

    def fail(self, intent_id: int, worker: str, error: str,
             next_attempt_at: datetime | None) -> None:
        if next_attempt_at is None:
            self._update(intent_id, worker,
                         "SET #st = :dead, last_error = :e REMOVE claimed_by, claimed_until",
                         {":dead": "dead", ":e": error[:MAX_ERROR]})
        else:
            self._update(intent_id, worker,
                         "SET last_error = :e, next_attempt_at = :n"
                         " REMOVE claimed_by, claimed_until",
                         {":e": error[:MAX_ERROR], ":n": to_text(next_attempt_at)})

    def dead_letters(self, state: str | None = None) -> list[ErasureIntent]:
        return self._with_status("dead", state)

    def _with_status(self, status: str, state: str | None) -> list[ErasureIntent]:
        return [_intent(v) for v in self._intents()
                if v["status"] == status and state in (None, v["state"])]

    def retry_dead(self, intent_id: int | None = None) -> int:
        now = to_text(self._now())
        n = 0
        for v in self._intents():
            if v["status"] not in RETRIED or intent_id not in (None, int(v["id"])):
                continue
            with translating("The dead-letter table"):
                self._ddb.update_item(
                    TableName=self.table, Key=_intent_key(v["id"]),
                    UpdateExpression="SET #st = :pending, attempts = :zero,"
                                     " next_attempt_at = :now, retry_from = :now",
                    ExpressionAttributeNames={"#st": "status"},
                    ExpressionAttributeValues=to_item({":pending": "pending", ":zero": 0,
                                                       ":now": now}))
            n += 1
        return n

    def park_held(self, change: DocumentChange, reason: str) -> bool:
        """Keep a stream record's change whose erasure a legal hold stops, until the hold is
        released (`release_held`). Idempotent per change id, like `dead_letter`."""
        return self._insert(change, "held", reason, 0)

    def hold(self, intent_id: int, worker: str, reason: str) -> None:
        self._update(intent_id, worker,
                     "SET #st = :held, last_error = :e REMOVE claimed_by, claimed_until",
                     {":held": "held", ":e": reason[:MAX_ERROR]})

    def held(self, state: str | None = None) -> list[ErasureIntent]:
        return self._with_status("held", state)

    def release_held(self, state: str) -> int:
        now = to_text(self._now())
        n = 0
        for v in self._intents():
            if v["status"] != "held" or v["state"] != state:
                continue
            n += self._conditional(
                Key=_intent_key(v["id"]),
                UpdateExpression="SET #st = :pending, next_attempt_at = :now",
                ConditionExpression="#st = :held", ExpressionAttributeNames={"#st": "status"},
                ExpressionAttributeValues=to_item({":pending": "pending", ":held": "held",
                                                   ":now": now}))
        return n

    def pending_count(self, state: str | None = None) -> int:
        return self.counts(state)["pending"]

    def counts(self, state: str | None = None) -> dict[str, int]:
        out = {"pending": 0, "done": 0, "dead": 0}
        for v in self._intents():
            if state in (None, v["state"]):
                out[v["status"]] = out.get(v["status"], 0) + 1
        return out

    # helpers ------------------------------------------------------------------------------
    def _intents(self) -> list[dict]:
        with translating("The dead-letter table"):
            return [from_item(i) for i in query_all(
                self._ddb, TableName=self.table, ConsistentRead=True,
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": "INTENT"}})]

    def _insert(self, change: DocumentChange, status: str, error: str | None,
                attempts: int) -> bool:
        with translating("The dead-letter table"):
            counter = self._ddb.update_item(
                TableName=self.table, Key={"pk": {"S": "COUNTER"}, "sk": {"S": "intent"}},
                UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": {"N": "1"}},
                ReturnValues="UPDATED_NEW")
            intent_id = int(counter["Attributes"]["n"]["N"])
            item = to_item({
                **change_to_row(change),
                "pk": "INTENT", "sk": f"{intent_id:012d}", "id": intent_id, "status": status,
                "attempts": attempts, "last_error": error[:MAX_ERROR] if error else None,
                "next_attempt_at": to_text(self._now()),
            })
            guard = {"pk": {"S": "CHANGE"}, "sk": {"S": change.change_id}}
            try:
                self._ddb.transact_write_items(TransactItems=[
                    {"Put": {"TableName": self.table, "Item": guard,
                             "ConditionExpression": "attribute_not_exists(pk)"}},
                    {"Put": {"TableName": self.table, "Item": item}},
                ])
            except ClientError as exc:
                if code(exc) != "TransactionCanceledException":  # already parked: keep the first
                    raise
                return False
        return True

    def _update(self, intent_id: int, worker: str, expression: str, values: dict) -> bool:
        return self._conditional(
            Key=_intent_key(intent_id), UpdateExpression=expression,
            ConditionExpression="claimed_by = :w AND #st = :pending",
            ExpressionAttributeNames={"#st": "status"},
            ExpressionAttributeValues=to_item({**values, ":w": worker, ":pending": "pending"}))

    def _conditional(self, **kwargs: Any) -> bool:
        """A conditional UpdateItem; False when its condition did not hold."""
        with translating("The dead-letter table"):
            try:
                self._ddb.update_item(TableName=self.table, **kwargs)
            except ClientError as exc:
                if code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
        return True


def _due(v: dict, now: str) -> bool:
    return (v["status"] == "pending" and v["next_attempt_at"] <= now
            and not (v.get("claimed_until") and v["claimed_until"] >= now))


def _attempts_key(record_id: str) -> dict:
    return {"pk": {"S": "ATTEMPTS"}, "sk": {"S": record_id}}


def _intent_key(intent_id: int | Decimal) -> dict:
    return {"pk": {"S": "INTENT"}, "sk": {"S": f"{int(intent_id):012d}"}}


def _intent(v: dict) -> ErasureIntent:
    retry_from = v.get("retry_from")
    return ErasureIntent(int(v["id"]), change_from_row(v), int(v.get("attempts", 0)), v["status"],
                         v.get("last_error"), from_text(v["next_attempt_at"]),
                         from_text(retry_from) if retry_from else None)
