"""The S3 BlobStore: one bucket per state, versioned.

- put: parts are hashed and counted as they pass; a document that fits one part is a single
  PutObject, a larger one a multipart upload that is aborted on any error. Either way S3 makes
  the object visible only when complete, so a failed upload leaves nothing and an overwrite
  that fails keeps the previous document.
- list: ListObjectsV2 returns keys in UTF-8 binary order, which is Python's str order; the
  orphan sweep's merge-join relies on it
  (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html).
- delete: in a versioned bucket a plain DeleteObject only adds a delete marker and the data
  stays (https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html).
  Erasure removes every version and every delete marker of the key with DeleteObjects, at
  most 1000 per request, and reads the per-key `Errors` of each response: S3 answers 200
  even when Object Lock or a legal hold refuses some versions.
"""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import Callable, Iterable, Iterator
from itertools import islice, takewhile
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from botocore.exceptions import ClientError

from humangov.adapters.aws.naming import Naming
from humangov.adapters.blobs import (
    CHUNK,
    SizedHasher,
    check_key,
    check_state,
    is_key,
    iter_chunks,
)
from humangov.adapters.dynamo_items import code, translating
from humangov.domain.errors import (
    Conflict,
    ErasureRefused,
    InvalidInput,
    NotFound,
    StorageUnavailable,
)
from humangov.ports import BlobInfo, Erased, StoredBlob

if TYPE_CHECKING:
    from botocore.response import StreamingBody
    from mypy_boto3_s3 import S3Client

    from humangov.adapters.aws.clients import AwsClients

PART_SIZE = 8 * 1024 * 1024  # S3's minimum part is 5 MiB; documents are usually one part
DELETE_BATCH = 1000  # DeleteObjects' limit
# The object (or version) is not there. A missing bucket is another matter: the state's store
# itself is gone, and nothing may be receipted as "already absent" from it.
_NO_OBJECT = ("404", "NoSuchKey", "NotFound", "NoSuchVersion")
_MISSING = (*_NO_OBJECT, "NoSuchBucket")
T = TypeVar("T")


class S3BlobStore:
    _check = staticmethod(check_key)  # what open, stat and delete accept as a key

    def __init__(self, clients: AwsClients, naming: Naming) -> None:
        self.clients = clients
        self.naming = naming

    @property
    def _s3(self) -> S3Client:
        return self.clients.s3

    def _bucket(self, state: str) -> str:
        return self.naming.bucket(check_state(state))

    def ping(self) -> None:
        with translating("Document storage"):
            self._s3.list_buckets(MaxBuckets=1)

    def put(self, state: str, key: str, chunks: BinaryIO | Iterable[bytes], *,
            max_size: int | None = None) -> StoredBlob:
        bucket, key = self._bucket(state), check_key(key)
        hasher = SizedHasher(max_size)
        buffer = bytearray()
        upload_id: str | None = None
        parts: list[dict] = []
        try:
            for chunk in iter_chunks(chunks):
                hasher.update(chunk)
                buffer += chunk
                if len(buffer) >= PART_SIZE:
                    if upload_id is None:
                        upload_id = self._call(bucket, self._s3.create_multipart_upload,
                                               Bucket=bucket, Key=key,
                                               ContentType="application/pdf")["UploadId"]
                    parts.append(self._part(bucket, key, upload_id, len(parts) + 1, bytes(buffer)))
                    buffer.clear()
            if upload_id is None:
                self._call(bucket, self._s3.put_object, Bucket=bucket, Key=key, Body=bytes(buffer),
                           ContentType="application/pdf")
            else:
                if buffer:
                    parts.append(self._part(bucket, key, upload_id, len(parts) + 1, bytes(buffer)))
                self._call(bucket, self._s3.complete_multipart_upload, Bucket=bucket, Key=key,
                           UploadId=upload_id, MultipartUpload={"Parts": parts})
        except BaseException:
            if upload_id is not None:
                # If this fails too, a bucket lifecycle rule aborts the upload later (infra/).
                with contextlib.suppress(ClientError):
                    self._s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
            raise
        return StoredBlob(hasher.size, hasher.sha.hexdigest())

    def _part(self, bucket: str, key: str, upload_id: str, number: int, data: bytes) -> dict:
        got = self._call(bucket, self._s3.upload_part, Bucket=bucket, Key=key, UploadId=upload_id,
                         PartNumber=number, Body=data)
        return {"PartNumber": number, "ETag": got["ETag"]}

    def open(self, state: str, key: str) -> Iterator[bytes]:
        bucket, key = self._bucket(state), self._check(key)
        with translating("Document storage"):
            try:
                body = self._s3.get_object(Bucket=bucket, Key=key)["Body"]
            except ClientError as exc:
                if code(exc) in _MISSING:
                    raise NotFound(f"There is no document {key} in {state}.") from None
                raise
        return _stream(body)

    def stat(self, state: str, key: str) -> BlobInfo | None:
        bucket, key = self._bucket(state), self._check(key)
        with translating("Document storage"):
            try:
                head = self._s3.head_object(Bucket=bucket, Key=key)
            except ClientError as exc:
                if code(exc) in _MISSING:
                    return None
                raise
        return BlobInfo(key, head["ContentLength"], head["LastModified"])

    def exists(self, state: str, key: str) -> bool:
        return self.stat(state, key) is not None

    def delete(self, state: str, key: str) -> Erased:
        bucket, key = self._bucket(state), self._check(key)
        versions, existed = self._versions(bucket, key)
        refused: list[str] = []
        for start in range(0, len(versions), DELETE_BATCH):
            batch = versions[start:start + DELETE_BATCH]
            with translating("Document storage"):
                got = self._s3.delete_objects(Bucket=bucket, Delete={
                    "Objects": [{"Key": key, "VersionId": v} for v in batch], "Quiet": True})
            refused += [
                f"{e.get('VersionId', '?')}: {e.get('Code', 'Error')} ({e.get('Message', '')})"
                for e in got.get("Errors", [])
            ]
        if refused:
            raise ErasureRefused(
                f"S3 refused to erase {len(refused)} of {len(versions)} versions of {key} in "
                f"{bucket}: {'; '.join(refused[:5])}. Object Lock retention or a legal hold "
                "keeps these versions; lift it (or wait for retention to end), then retry the "
                "dead letter with `humangov erasure retry`."
            )
        return Erased(existed=existed, versions=tuple(versions))

    def _versions(self, bucket: str, key: str) -> tuple[list[str], bool]:
        """Every version id and delete-marker id of exactly `key`; and whether data existed."""
        ids: list[str] = []
        existed = False
        with translating("Document storage"):
            try:
                for page in self._s3.get_paginator("list_object_versions").paginate(
                    Bucket=bucket, Prefix=key
                ):
                    for v in page.get("Versions", []):
                        if v["Key"] == key:  # Prefix also matches longer keys
                            ids.append(v["VersionId"])
                            existed = True
                    ids += [
                        m["VersionId"] for m in page.get("DeleteMarkers", []) if m["Key"] == key
                    ]
            except ClientError as exc:
                if code(exc) == "NoSuchBucket":
                    raise self._bucket_missing(bucket) from None
                if code(exc) in _NO_OBJECT:
                    return [], False
                raise
        return ids, existed

    @staticmethod
    def _bucket_missing(bucket: str) -> StorageUnavailable:
        return StorageUnavailable(
            f"The bucket {bucket} does not exist: nothing can be erased from it, and nothing is "
            "receipted until it is back. Restore the bucket (or point the state at the right "
            "one); the erasure is retried.")

    def list(self, state: str, *, after: str | None = None) -> Iterator[BlobInfo]:
        bucket = self._bucket(state)
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if after:
            kwargs["StartAfter"] = after
        with translating("Document storage"):
            try:
                for page in self._s3.get_paginator("list_objects_v2").paginate(**kwargs):
                    for obj in page.get("Contents", []):
                        yield BlobInfo(obj["Key"], obj["Size"], obj["LastModified"])
            except ClientError as exc:
                # A missing bucket lists as empty for now (the contract's dropped and never
                # provisioned states); the state's store identity will make it a failure.
                if code(exc) not in _MISSING:
                    raise

    def list_keys(self, state: str) -> Iterator[str]:
        # ListObjectsV2 returns keys in UTF-8 binary order, the order the sweep merges on.
        return (info.key for info in self.list(state))

    def list_key_chunks(self, state: str, *, start: str | None = None, stop: str | None = None,
                        foreign: builtins.list[str] | None = None,
                        ) -> Iterator[builtins.list[str]]:
        """Keys in [start, stop), in pages. Objects whose key is not one HumanGov could have
        written (`.DS_Store`, `scans//x.pdf`, a leading slash, an overlong key) go to
        `foreign` instead: the sweep reports them by key rather than failing on them."""
        for chunk in self._key_pages(state, start, stop):
            keys = [k for k in chunk if is_key(k)]
            if foreign is not None and len(keys) < len(chunk):
                foreign += (k for k in chunk if not is_key(k))
            yield keys

    def foreign_files(self) -> S3BlobStore:
        """This store with any object key accepted, for the keys `list_key_chunks` reports
        as foreign."""
        return _ForeignObjects(self.clients, self.naming)

    def _key_pages(self, state: str, start: str | None,
                   stop: str | None) -> Iterator[builtins.list[str]]:
        # StartAfter is exclusive and there is no "largest key below start" to pass, so start
        # after start's parent prefix (which sorts before start) and drop the few keys between.
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
        after = (start[:-1] or None) if start else None
        keys = takewhile(
            lambda k: stop is None or k < stop,
            (info.key for info in self.list(state, after=after)
             if start is None or info.key >= start))
        while chunk := list(islice(keys, 1000)):  # one ListObjectsV2 page
            yield chunk

    def drop_state(self, state: str) -> None:
        bucket = self._bucket(state)
        with translating("Document storage"):
            try:
                left = self._s3.list_object_versions(Bucket=bucket, MaxKeys=1)
            except ClientError as exc:
                if code(exc) in _MISSING:
                    return
                raise
            if left.get("Versions") or left.get("DeleteMarkers"):
                raise Conflict(
                    f"The state {state} still holds documents in {bucket}; erase them before "
                    "dropping its storage.")
            try:
                self._s3.delete_bucket(Bucket=bucket)
            except ClientError as exc:
                # A missing bucket lists as empty for now (the contract's dropped and never
                # provisioned states); the state's store identity will make it a failure.
                if code(exc) not in _MISSING:
                    raise

    def _call(self, bucket: str, method: Callable[..., T], **kwargs: Any) -> T:
        with translating("Document storage"):
            try:
                return method(**kwargs)
            except ClientError as exc:
                if code(exc) == "NoSuchBucket":
                    raise NotFound(f"The documents bucket {bucket} does not exist; add the state "
                                   "with `humangov states add` first.") from None
                raise


class _ForeignObjects(S3BlobStore):
    @staticmethod
    def _check(key: str) -> str:
        if not key:
            raise InvalidInput("An object key is empty.", field="key")
        return key


def _stream(body: StreamingBody) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()
