"""Retention schedules on AWS: one item per state in the platform table (pk RETENTION)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from humangov.adapters.dynamo_items import from_item, query_all, to_item, translating
from humangov.adapters.timecodec import from_text, to_text
from humangov.domain.retention import Schedule

if TYPE_CHECKING:
    from humangov.adapters.aws.clients import AwsClients

PK = "RETENTION"


class DynamoDBSchedules:
    def __init__(self, clients: AwsClients, platform_table: str):
        self.clients = clients
        self.table = platform_table

    def schedule(self, state: str) -> Schedule | None:
        with translating("The retention schedules"):
            got = self.clients.dynamodb.get_item(
                TableName=self.table, ConsistentRead=True, Key=to_item({"pk": PK, "sk": state}))
        return _schedule(from_item(got["Item"])) if "Item" in got else None

    def set_schedule(self, schedule: Schedule) -> None:
        assert schedule.set_by is not None and schedule.set_at is not None
        with translating("The retention schedules"):
            self.clients.dynamodb.put_item(TableName=self.table, Item=to_item({
                "pk": PK, "sk": schedule.state, "document_years": schedule.document_years,
                "record_years": schedule.record_years, "set_by": schedule.set_by,
                "set_at": to_text(schedule.set_at)}))

    def schedules(self) -> list[Schedule]:
        with translating("The retention schedules"):
            items = query_all(self.clients.dynamodb, TableName=self.table, ConsistentRead=True,
                              KeyConditionExpression="pk = :p",
                              ExpressionAttributeValues={":p": {"S": PK}})
            return [_schedule(from_item(i)) for i in items]


def _schedule(v: dict) -> Schedule:
    def years(name: str) -> int | None:
        return int(v[name]) if v.get(name) is not None else None
    return Schedule(v["sk"], years("document_years"), years("record_years"), v["set_by"],
                    from_text(v["set_at"]))
