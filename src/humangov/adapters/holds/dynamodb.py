"""DynamoDB legal holds, in the platform table under the partition `HOLD`, one item per hold.

The items carry no `kind`, so the records streams' filter (which passes `kind = EMP` items
only) could never take one for an employee; and the platform table is no state's records
table. A HumanGov holds a handful of matters, so listing reads the one partition."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from humangov.adapters.dynamo_items import code, from_item, query_all, to_item, translating
from humangov.adapters.timecodec import from_text, to_text
from humangov.domain.holds import Hold

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from humangov.adapters.aws.clients import AwsClients

PARTITION = "HOLD"


class DynamoDBHoldStore:
    def __init__(self, clients: AwsClients, table: str) -> None:
        self.clients, self.table = clients, table

    @property
    def _ddb(self) -> DynamoDBClient:
        return self.clients.dynamodb

    def add_hold(self, hold: Hold) -> None:
        with translating("The legal holds"):
            self._ddb.put_item(TableName=self.table, Item=to_item({
                "pk": PARTITION, "sk": hold.id, "state": hold.state, "matter": hold.matter,
                "employee_ids": list(hold.employee_ids), "placed_by": hold.placed_by,
                "placed_at": to_text(hold.placed_at)}))

    def get_hold(self, hold_id: str) -> Hold | None:
        with translating("The legal holds"):
            got = self._ddb.get_item(TableName=self.table, ConsistentRead=True,
                                                 Key=_key(hold_id))
        return _hold(from_item(got["Item"])) if "Item" in got else None

    def list_holds(self, state: str | None = None) -> list[Hold]:
        with translating("The legal holds"):
            holds = [_hold(from_item(i)) for i in query_all(
                self._ddb, TableName=self.table, ConsistentRead=True,
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": PARTITION}})]
        return sorted((h for h in holds if state in (None, h.state)),
                      key=lambda h: (h.placed_at, h.id))

    def release_hold(self, hold_id: str, by: str, at: datetime) -> bool:
        with translating("The legal holds"):
            try:
                self._ddb.update_item(
                    TableName=self.table, Key=_key(hold_id),
                    UpdateExpression="SET released_by = :b, released_at = :a",
                    ConditionExpression=("attribute_exists(pk) "
                                         "AND attribute_not_exists(released_at)"),
                    ExpressionAttributeValues=to_item({":b": by, ":a": to_text(at)}))
            except ClientError as exc:
                if code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
        return True


def _key(hold_id: str) -> dict:
    return {"pk": {"S": PARTITION}, "sk": {"S": hold_id}}


def _hold(v: dict) -> Hold:
    return Hold(
        id=v["sk"], state=v["state"], matter=v["matter"],
        employee_ids=tuple(v.get("employee_ids", [])), placed_by=v["placed_by"],
        placed_at=from_text(v["placed_at"]), released_by=v.get("released_by"),
        released_at=from_text(v["released_at"]) if v.get("released_at") else None,
    )
