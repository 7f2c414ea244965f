"""Earlier applications attached to states (`humangov legacy attach`), recorded in the
platform table as one small item per state, `pk=LEGACY, sk=<CODE>` with the table and bucket
names, beside (not inside) the states registry: a state can be attached before or after it is
added, and detaching leaves the registry alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from humangov.adapters.aws.legacy import LegacyTable, legacy_objects
from humangov.adapters.aws.naming import IDENTITY_TAG, LEGACY_TAG
from humangov.adapters.aws.provision import bucket_exists, bucket_tags
from humangov.adapters.dynamo_items import from_item, query_all, to_item, translating
from humangov.domain.errors import Conflict, InvalidInput
from humangov.ports import BlobStore, EarlierApp

if TYPE_CHECKING:
    from humangov.adapters.aws.clients import AwsClients

PK = "LEGACY"


class EarlierApplicationsOnAws:
    def __init__(self, clients: AwsClients, platform_table: str) -> None:
        self.clients, self.platform_table = clients, platform_table

    def attach(self, app: EarlierApp) -> None:
        LegacyTable(self.clients, app.table).check_shape()
        with translating(f"The bucket {app.bucket}"):
            if not bucket_exists(self.clients, app.bucket):
                raise InvalidInput(f"There is no bucket {app.bucket}: check the name.",
                                   field="legacy_bucket")
            self._tag(app)
            self.clients.dynamodb.put_item(TableName=self.platform_table, Item=to_item(
                {"pk": PK, "sk": app.state, "table": app.table, "bucket": app.bucket}))

    def _tag(self, app: EarlierApp) -> None:
        """Write `humangov:legacy-state=<CODE>`, keeping the bucket's other tags."""
        tags = bucket_tags(self.clients, app.bucket)
        if IDENTITY_TAG in tags:
            raise Conflict(f"The bucket {app.bucket} is HumanGov's own ({IDENTITY_TAG}="
                           f"{tags[IDENTITY_TAG]}), not an earlier application's.")
        found = tags.get(LEGACY_TAG)
        if found not in (None, app.state):
            raise Conflict(f"The bucket {app.bucket} is attached to {found} ({LEGACY_TAG}="
                           f"{found}), not {app.state}; detach it there first.")
        if found is None:
            tags[LEGACY_TAG] = app.state
            self.clients.s3.put_bucket_tagging(Bucket=app.bucket, Tagging={
                "TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})

    def detach(self, state: str) -> bool:
        with translating("The platform table"):
            got = self.clients.dynamodb.delete_item(
                TableName=self.platform_table, Key=to_item({"pk": PK, "sk": state}),
                ReturnValues="ALL_OLD")
        return "Attributes" in got

    def attached(self, state: str | None = None) -> list[EarlierApp]:
        condition, values = "pk = :p", {":p": {"S": PK}}
        if state is not None:
            condition += " AND sk = :s"
            values[":s"] = {"S": state}
        with translating("The platform table"):
            items = [from_item(i) for i in query_all(
                self.clients.dynamodb, TableName=self.platform_table, ConsistentRead=True,
                KeyConditionExpression=condition, ExpressionAttributeValues=values)]
        return [EarlierApp(i["sk"], i["table"], i["bucket"]) for i in items]

    def references(self, table: str) -> set[str]:
        earlier = LegacyTable(self.clients, table)
        earlier.check_shape()
        return earlier.references()

    def objects(self, app: EarlierApp) -> BlobStore:
        with translating(f"The bucket {app.bucket}"):
            found = bucket_tags(self.clients, app.bucket).get(LEGACY_TAG)
        if found != app.state:
            raise InvalidInput(
                f"The bucket {app.bucket} is not attached to {app.state} (it lacks the tag "
                f"{LEGACY_TAG}={app.state}), so nothing in it is listed or erased; attach it "
                f"with `humangov legacy attach --state {app.state} --legacy-table "
                f"{app.table} --legacy-bucket {app.bucket}`.", field="legacy_bucket")
        return legacy_objects(self.clients, app.bucket)
