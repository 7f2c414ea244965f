"""DynamoDB audit log, in the platform table.

Each event is written under `AUDIT` (every state's, for platform admins) and, when it concerns
a state, again under `AUDIT#<state>`, both in one transaction: a state's events are then one
partition's query, newest first by sort key `<at>#<uuid>`, with no index to add. Items are only
ever put, never updated or deleted.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from humangov.adapters import cursors
from humangov.adapters.dynamo_items import from_item, to_item, translating
from humangov.adapters.timecodec import from_text, to_text
from humangov.domain.audit import AuditEvent

if TYPE_CHECKING:
    from humangov.adapters.aws.clients import AwsClients

ALL = "AUDIT"


class DynamoDBAuditLog:
    def __init__(self, clients: AwsClients, table: str) -> None:
        self.clients, self.table = clients, table

    def append(self, event: AuditEvent) -> None:
        values = {"sk": f"{to_text(event.at)}#{uuid.uuid4()}", "at": to_text(event.at),
                  "kind": event.kind, "actor": event.actor, "state": event.state,
                  "subject": event.subject, "client": event.client,
                  "detail": orjson.dumps(event.detail).decode()}
        partitions = [ALL] + ([_partition(event.state)] if event.state else [])
        with translating("The audit log"):
            self.clients.dynamodb.transact_write_items(TransactItems=[
                {"Put": {"TableName": self.table, "Item": to_item({**values, "pk": pk})}}
                for pk in partitions])

    def events(
        self, *, limit: int, cursor: str | None, kind: str | None = None,
        state: str | None = None, since: datetime | None = None, subject: str | None = None,
    ) -> tuple[list[AuditEvent], str | None]:
        pk = _partition(state) if state else ALL
        condition = "pk = :p"
        values: dict[str, Any] = {":p": pk}
        if since is not None:
            condition += " AND sk >= :since"
            values[":since"] = to_text(since)
        query: dict[str, Any] = {"TableName": self.table, "KeyConditionExpression": condition}
        filters = []
        for name, value in (("kind", kind), ("subject", subject)):
            if value is not None:
                filters.append(f"#{name} = :{name}")
                values[f":{name}"] = value
        if filters:
            query["FilterExpression"] = " AND ".join(filters)
            query["ExpressionAttributeNames"] = {f"#{n}": n for n in ("kind", "subject")
                                                 if f":{n}" in values}
        query["ExpressionAttributeValues"] = to_item(values)
        if cursor:
            query["ExclusiveStartKey"] = to_item({"pk": pk, "sk": cursors.decode(cursor, _sk)})
        items: list[dict] = []
        with translating("The audit log"):
            # Limit counts items read before the filter: read on until one more than the page
            # matched, or the partition ends.
            while len(items) <= limit:
                got = self.clients.dynamodb.query(**query, ScanIndexForward=False,
                                                  Limit=limit + 1)
                items.extend(got.get("Items", []))
                if "LastEvaluatedKey" not in got:
                    break
                query["ExclusiveStartKey"] = got["LastEvaluatedKey"]
        page = items[:limit]
        nxt = cursors.encode(page[-1]["sk"]["S"]) if len(items) > limit else None
        return [_event(from_item(i)) for i in page], nxt


def _partition(state: str) -> str:
    return f"{ALL}#{state}"


def _sk(value: Any) -> str:
    """Validates a cursor: the sort key of the last event seen, `<at>#<uuid>`."""
    if not (isinstance(value, str) and "#" in value and len(value) <= 100):
        raise ValueError("not an audit position")
    return value


def _event(v: dict) -> AuditEvent:
    return AuditEvent(at=from_text(v["at"]), kind=v["kind"], actor=v["actor"],
                      state=v.get("state"), subject=v.get("subject"), client=v.get("client"),
                      detail=orjson.loads(v["detail"]))
