"""An earlier HumanGov application's table and bucket, read (never written) for adoption, for
the legacy backlog sweep, and for the references that keep its living employees' files.

See humangov.domain.legacy for the shape. The table is read with a paginated, consistent Scan
(it has no index HumanGov could use), in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from humangov.adapters.aws.naming import LEGACY_TAG, Naming
from humangov.adapters.blobs.s3 import S3BlobStore
from humangov.adapters.dynamo_items import code, from_item, query_all, translating
from humangov.domain.errors import InvalidInput
from humangov.domain.legacy import LegacyRecord, legacy_record

if TYPE_CHECKING:
    from humangov.adapters.aws.clients import AwsClients


class LegacyTable:
    def __init__(self, clients: AwsClients, name: str) -> None:
        self.clients, self.name = clients, name

    def check_shape(self) -> None:
        """Refuse a table that is not in the earlier shape (partition key `id`, no sort key):
        HumanGov's own tables, or anything else, are not read as an earlier application's."""
        with translating(f"The earlier table {self.name}"):
            try:
                table = self.clients.dynamodb.describe_table(TableName=self.name)["Table"]
            except ClientError as exc:
                if code(exc) == "ResourceNotFoundException":
                    raise InvalidInput(f"There is no table {self.name}: check the name "
                                       "(and the AWS region).", field="legacy_table") from None
                raise
        keys = [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]]
        if keys != [("id", "HASH")]:
            raise InvalidInput(
                f"The table {self.name} is not an earlier HumanGov table (its key is "
                f"{', '.join(k for k, _ in keys)}, not id).", field="legacy_table")

    def records(self) -> Iterator[LegacyRecord]:
        """Every record in the earlier shape; other items (none expected) are skipped."""
        with translating(f"The earlier table {self.name}"):
            for item in query_all(self.clients.dynamodb, _op="scan", TableName=self.name,
                                  ConsistentRead=True):
                record = legacy_record(from_item(item))
                if record is not None:
                    yield record

    def references(self) -> set[str]:
        """The object keys its records name: live references until the state is adopted."""
        return {r.pdf for r in self.records() if r.pdf}


def legacy_objects(clients: AwsClients, bucket: str) -> S3BlobStore:
    """The earlier bucket as a store of raw keys, usable only once it carries the state's
    `humangov:legacy-state` tag (written when the bucket is attached)."""
    return S3BlobStore(clients, Naming(bucket_pattern=bucket),
                       identity_tag=LEGACY_TAG).foreign_files()
