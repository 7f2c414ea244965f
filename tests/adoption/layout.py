"""The earlier HumanGov's layout for one state, built exactly as it kept it: a table keyed on
`id` without stream or index, a versioned bucket of objects named
`<uuid>_<lower-case upload name>.pdf` at its root, edits that replace `pdf` and leave the old
object, deletes that drop the item and leave the object."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from humangov.adapters.aws.naming import LEGACY_TAG

TABLE = "humangov-california-dynamodb"
BUCKET = "humangov-california-s3-7f3a9c"


def pdf(text: str) -> bytes:
    return b"%PDF-1.4\n" + text.encode() + b"\n%%EOF\n"


@dataclass
class Legacy:
    clients: object
    table: str = TABLE
    bucket: str = BUCKET
    living: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # id -> (key, content)
    backlog: set[str] = field(default_factory=set)

    def create(self, *, tag: bool = True) -> Legacy:
        ddb, s3 = self.clients.dynamodb, self.clients.s3
        ddb.create_table(TableName=self.table, BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
        s3.create_bucket(Bucket=self.bucket)
        s3.put_bucket_versioning(Bucket=self.bucket,
                                 VersioningConfiguration={"Status": "Enabled"})
        if tag:
            s3.put_bucket_tagging(Bucket=self.bucket, Tagging={
                "TagSet": [{"Key": LEGACY_TAG, "Value": "CA"}]})
        return self

    def upload(self, name: str, content: bytes) -> str:
        key = f"{uuid.uuid4()}_{name.lower()}"
        self.clients.s3.put_object(Bucket=self.bucket, Key=key, Body=content)
        return key

    def item(self, record_id: str, first: str, last: str, role: str, salary: str,
             key: str | None) -> None:
        item = {"id": {"S": record_id}, "first_name": {"S": first}, "last_name": {"S": last},
                "role": {"S": role}, "salary": {"S": salary}}
        if key is not None:
            item["pdf"] = {"S": key}
        self.clients.dynamodb.put_item(TableName=self.table, Item=item)

    def add(self, first: str, last: str, role: str = "Clerk", salary: str = "52000",
            *, upload: str | None = None, content: bytes | None = None) -> str:
        """A living record with its scan (named like the earlier form's upload)."""
        record_id = str(uuid.uuid4())
        content = content if content is not None else pdf(f"{first} {last}")
        key = self.upload(upload or f"{first} {last} ID.pdf", content)
        self.item(record_id, first, last, role, salary, key)
        self.living[record_id] = (key, content)
        return record_id

    def edit_document(self, record_id: str, content: bytes) -> None:
        """The earlier edit: a new object, `pdf` replaced, the old object left behind."""
        old, _ = self.living[record_id]
        key = self.upload("rescan.pdf", content)
        item = self.clients.dynamodb.get_item(TableName=self.table,
                                              Key={"id": {"S": record_id}})["Item"]
        item["pdf"] = {"S": key}
        self.clients.dynamodb.put_item(TableName=self.table, Item=item)
        self.living[record_id] = (key, content)
        self.backlog.add(old)

    def delete(self, record_id: str) -> None:
        """The earlier delete: the item goes, its object stays."""
        self.clients.dynamodb.delete_item(TableName=self.table, Key={"id": {"S": record_id}})
        self.backlog.add(self.living.pop(record_id)[0])

    def versions(self, key: str) -> list[str]:
        got = self.clients.s3.list_object_versions(Bucket=self.bucket, Prefix=key)
        return [v["VersionId"] for v in got.get("Versions", []) + got.get("DeleteMarkers", [])
                if v["Key"] == key]

    def object_keys(self) -> set[str]:
        got = self.clients.s3.list_object_versions(Bucket=self.bucket)
        return {v["Key"] for v in got.get("Versions", []) + got.get("DeleteMarkers", [])}
