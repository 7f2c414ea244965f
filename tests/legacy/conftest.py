"""The earlier application's layout, built on moto exactly as it left it (issue 12)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest

from tests.aws.conftest import aws, moto_server  # noqa: F401 - fixtures used here

TABLE = "humangov-california-dynamodb"
BUCKET = "humangov-california-s3-7f3a"


@dataclass
class Earlier:
    """Object keys by role: what a living record names, and what no record names."""

    s3: object
    living: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)

    def versions(self, key: str) -> int:
        got = self.s3.list_object_versions(Bucket=BUCKET, Prefix=key)
        return len([v for v in got.get("Versions", []) + got.get("DeleteMarkers", [])
                    if v["Key"] == key])

    def keys(self) -> set[str]:
        got = self.s3.list_object_versions(Bucket=BUCKET)
        return {v["Key"] for v in got.get("Versions", []) + got.get("DeleteMarkers", [])}


def _record(ddb, first: str, last: str, pdf: str, *, record_id: str) -> None:
    ddb.put_item(TableName=TABLE, Item={
        "id": {"S": record_id}, "first_name": {"S": first}, "last_name": {"S": last},
        "role": {"S": "Clerk"}, "salary": {"S": "52000"}, "pdf": {"S": pdf}})


def build_earlier(clients) -> Earlier:
    """Table keyed on `id`, no stream; versioned bucket; `<uuid>_<lower-case name>.pdf`."""
    ddb, s3 = clients.dynamodb, clients.s3
    ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": "team", "Value": "hr"}]})
    earlier = Earlier(s3)
    # A living employee whose name has spaces and capitals, scanned twice (two versions).
    alive = str(uuid.uuid4())
    key = f"{alive}_mary ann de la cruz.pdf"
    for body in (b"%PDF-1.4 first scan", b"%PDF-1.4 second scan"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    _record(ddb, "Mary Ann", "De La Cruz", key, record_id=alive)
    earlier.living.append(key)
    # A deleted record (delete_item only): its file stays, in two versions.
    gone = str(uuid.uuid4())
    orphan = f"{gone}_john smith.pdf"
    for body in (b"%PDF-1.4 v1", b"%PDF-1.4 v2"):
        s3.put_object(Bucket=BUCKET, Key=orphan, Body=body)
    earlier.orphans.append(orphan)
    # An edited record: the new file replaced `pdf`, the old one stayed.
    edited = str(uuid.uuid4())
    old, new = f"{edited}_ana lopez.pdf", f"{str(uuid.uuid4())}_ana lopez-smith.pdf"
    s3.put_object(Bucket=BUCKET, Key=old, Body=b"%PDF-1.4 old")
    s3.put_object(Bucket=BUCKET, Key=new, Body=b"%PDF-1.4 new")
    _record(ddb, "Ana", "Lopez-Smith", new, record_id=edited)
    earlier.living.append(new)
    earlier.orphans.append(old)
    return earlier


@pytest.fixture
def on_aws(aws, monkeypatch):  # noqa: F811 - the fixture imported above
    """HumanGov on moto (in-process and moto_server) with CA added, the earlier layout
    beside it, and the CLI's settings in the environment."""
    from humangov.bootstrap import bootstrap

    settings = aws.settings
    monkeypatch.setenv("HUMANGOV_BACKEND", "aws")
    monkeypatch.setenv("HUMANGOV_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HUMANGOV_ENVIRONMENT", "test")
    monkeypatch.setenv("HUMANGOV_MONITORING", "false")
    container = bootstrap(settings)
    container.personnel.add_state("CA")
    earlier = build_earlier(aws.clients)
    return aws, container, earlier
