"""DynamoDB erasure requests, in the platform table.

A state's requests are one partition, `REQUEST#<state>`, sorted by `<filed at>#<id>` so a
list is one query, newest first. The platform table has no stream, and no item here has
`kind = EMP`, so nothing of a request ever looks like an employee to the erasure pipeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from humangov.adapters.dynamo_items import from_item, query_all, to_item, translating
from humangov.adapters.request_codec import decode, encode
from humangov.adapters.timecodec import to_text
from humangov.domain.requests import ErasureRequest

if TYPE_CHECKING:
    from humangov.adapters.aws.clients import AwsClients


class DynamoDBRequestStore:
    def __init__(self, clients: AwsClients, table: str) -> None:
        self.clients, self.table = clients, table

    def save(self, request: ErasureRequest) -> None:
        item = {"pk": _partition(request.state), "sk": _sort_key(request),
                "id": request.id, "data": encode(request)}
        with translating("The erasure request store"):
            self.clients.dynamodb.put_item(TableName=self.table, Item=to_item(item))

    def get(self, state: str, request_id: str) -> ErasureRequest | None:
        return next((r for r in self.list(state) if r.id == request_id), None)

    def list(self, state: str) -> list[ErasureRequest]:
        with translating("The erasure request store"):
            items = list(query_all(self.clients.dynamodb, TableName=self.table,
                              KeyConditionExpression="pk = :p",
                              ExpressionAttributeValues=to_item({":p": _partition(state)}),
                              ScanIndexForward=False))
        return [decode(from_item(i)["data"]) for i in items]

    def remove(self, state: str, request_id: str) -> None:
        request = self.get(state, request_id)
        if request is None:
            return
        with translating("The erasure request store"):
            self.clients.dynamodb.delete_item(TableName=self.table, Key=to_item(
                {"pk": _partition(state), "sk": _sort_key(request)}))


def _partition(state: str) -> str:
    return f"REQUEST#{state}"


def _sort_key(request: ErasureRequest) -> str:
    return f"{to_text(request.filed_at)}#{request.id}"
