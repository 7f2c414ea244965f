"""An earlier application's table as a stream source of the erasure Lambda (issue 12): which
state it is, where its objects are, and whether a record still names a key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from humangov.adapters.aws.legacy import legacy_objects
from humangov.adapters.dynamo_items import from_item, translating
from humangov.domain.errors import InvalidInput
from humangov.domain.legacy import legacy_record

if TYPE_CHECKING:
    from humangov.adapters.aws.clients import AwsClients
    from humangov.adapters.blobs.s3 import S3BlobStore


@dataclass(frozen=True)
class LegacySource:
    state: str
    table: str
    bucket: str
    objects: S3BlobStore  # raw keys, erased only once the bucket carries humangov:legacy-state
    clients: AwsClients

    def names(self, record_id: str, key: str) -> bool:
        """Whether the record `record_id` (read strongly consistent) names `key` right now:
        a record put back after its deletion keeps its file."""
        with translating(f"The earlier table {self.table}"):
            got = self.clients.dynamodb.get_item(
                TableName=self.table, Key={"id": {"S": record_id}}, ConsistentRead=True)
        record = legacy_record(from_item(got.get("Item") or {}))
        return record is not None and record.pdf == key


def legacy_sources(clients: AwsClients, config: dict[str, dict[str, str]]
                   ) -> dict[str, LegacySource]:
    """Settings.aws_legacy ({state: {"table", "bucket"}}) -> {table name: source}."""
    sources = {}
    for state, names in config.items():
        table, bucket = names.get("table"), names.get("bucket")
        if not table or not bucket:
            raise InvalidInput(
                f"HUMANGOV_AWS_LEGACY: {state} needs both a table and a bucket, as in "
                '{"CA": {"table": "humangov-california-dynamodb", '
                '"bucket": "humangov-california-s3-abcd"}}.', field="aws_legacy")
        sources[table] = LegacySource(state.upper(), table, bucket,
                                      legacy_objects(clients, bucket), clients)
    return sources
