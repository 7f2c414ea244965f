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
- identity: a bucket is the state's only while it carries the tag `humangov:state=<CODE>`
  written when the state was provisioned. Before answering "already absent", before listing
  and before storing, the store checks it (GetBucketTagging); a good answer is kept for
  `identity_ttl`, a bad one never, so a bucket that is restored or tagged counts at once.
- the sweep's listing reads versions (ListObjectVersions, in key order like ListObjectsV2):
  a key whose latest version is data is stored as usual; a key left with only noncurrent
  versions or a delete marker on top (a "deleted" file whose data remains) goes with the
  foreign keys, reported and erased by its raw key through `foreign_files()`.
"""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from botocore.exceptions import ClientError

from humangov.adapters.aws.naming import IDENTITY_TAG, Naming
from humangov.adapters.blobs import (
    CHUNK,
    SizedHasher,
    check_key,
    check_state,
    is_key,
    iter_chunks,
)
from humangov.adapters.clock import SystemClock
from humangov.adapters.dynamo_items import code, translating
from humangov.domain.errors import (
    Conflict,
    ErasureHeld,
    ErasureRefused,
    InvalidInput,
    NotFound,
    StorageUnavailable,
)
from humangov.ports import BlobInfo, Clock, Erased, StoredBlob

if TYPE_CHECKING:
    from botocore.response import StreamingBody
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectLockLegalHoldTypeDef

    from humangov.adapters.aws.clients import AwsClients

PART_SIZE = 8 * 1024 * 1024  # S3's minimum part is 5 MiB; documents are usually one part
DELETE_BATCH = 1000  # DeleteObjects' limit
LIST_CHUNK = 1000  # keys per chunk of the sweep's listing: one ListObjectVersions page
# How long a bucket's identity, once checked, is trusted: readiness over fifty states and every
# erasure would otherwise ask S3 each time.
IDENTITY_TTL = timedelta(seconds=60)
# What open and stat read as "no such document". Erasure, listing and put treat a missing
# bucket apart: the state's store itself is gone (StorageUnavailable, never "already absent").
_MISSING = ("404", "NoSuchKey", "NotFound", "NoSuchVersion", "NoSuchBucket")
T = TypeVar("T")


class S3BlobStore:
    _check = staticmethod(check_key)  # what open, stat and delete accept as a key

    def __init__(self, clients: AwsClients, naming: Naming, *, clock: Clock | None = None,
                 identity_ttl: timedelta = IDENTITY_TTL, identity_tag: str = IDENTITY_TAG) -> None:
        self.clients = clients
        self.naming = naming
        # The tag naming the bucket's state: HumanGov's own, or (LEGACY_TAG) an earlier
        # application's bucket that HumanGov erases from on its behalf.
        self.identity_tag = identity_tag
        self.clock = clock or SystemClock()
        self.identity_ttl = identity_ttl
        self._verified: dict[str, datetime] = {}  # bucket -> until when its identity holds

    @property
    def _s3(self) -> S3Client:
        return self.clients.s3

    def _bucket(self, state: str) -> str:
        return self.naming.bucket(check_state(state))

    def ping(self) -> None:
        """Nothing to ask S3 for the store as a whole: readiness verifies each state's bucket
        (`verify_space`, with GetBucketTagging, which the app role holds). ListBuckets would
        need an account-wide permission the app's role rightly lacks."""

    def verify_space(self, state: str) -> None:
        bucket = self._bucket(state)
        now = self.clock.now()
        if self._verified.get(bucket, now) > now:
            return
        tag = self.identity_tag
        found = self._tags(bucket, state).get(tag)
        if found != state:
            tagged = f" (it is tagged {tag}={found})" if found else ""
            raise StorageUnavailable(
                f"The bucket {bucket} is not {state}'s: it lacks the tag {tag}={state}"
                f"{tagged}, so nothing is erased from it, listed in it or stored in it. If it "
                f"is {state}'s bucket, tag it (`humangov states add {state}` adds the tag and "
                "keeps the others); erasures are retried.")
        self._verified[bucket] = now + self.identity_ttl

    def _tags(self, bucket: str, state: str) -> dict[str, str]:
        with translating("Document storage"):
            try:
                tag_set = self._s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
            except ClientError as exc:
                if code(exc) == "NoSuchTagSet":
                    return {}
                if code(exc) == "NoSuchBucket":
                    raise self._bucket_missing(bucket, state) from None
                if code(exc) in ("AccessDenied", "403"):
                    raise StorageUnavailable(
                        f"HumanGov may not read the tags of the bucket {bucket} "
                        "(s3:GetBucketTagging is denied), so it cannot tell whether the bucket "
                        f"is {state}'s; grant s3:GetBucketTagging on the state buckets to "
                        "its role.") from None
                raise
        return {t["Key"]: t["Value"] for t in tag_set}

    def _bucket_missing(self, bucket: str, state: str) -> StorageUnavailable:
        self._verified.pop(bucket, None)
        return StorageUnavailable(
            f"The bucket {bucket} of {state} does not exist: nothing is erased from it, listed "
            "in it or stored in it, and nothing is receipted until it is back. Restore the "
            "bucket (or point the state at the right one); erasures are retried.")

    def put(self, state: str, key: str, chunks: BinaryIO | Iterable[bytes], *,
            max_size: int | None = None) -> StoredBlob:
        bucket, key = self._bucket(state), check_key(key)
        self.verify_space(state)  # never store into a bucket that is not the state's
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
                        upload_id = self._call(state, self._s3.create_multipart_upload,
                                               Bucket=bucket, Key=key,
                                               ContentType="application/pdf")["UploadId"]
                    parts.append(self._part(state, key, upload_id, len(parts) + 1, bytes(buffer)))
                    buffer.clear()
            if upload_id is None:
                self._call(state, self._s3.put_object, Bucket=bucket, Key=key,
                           Body=bytes(buffer), ContentType="application/pdf")
            else:
                if buffer:
                    parts.append(self._part(state, key, upload_id, len(parts) + 1, bytes(buffer)))
                self._call(state, self._s3.complete_multipart_upload, Bucket=bucket,
                           Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
        except BaseException:
            if upload_id is not None:
                # If this fails too, a bucket lifecycle rule aborts the upload later (infra/).
                with contextlib.suppress(ClientError):
                    self._s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
            raise
        return StoredBlob(hasher.size, hasher.sha.hexdigest())

    def _part(self, state: str, key: str, upload_id: str, number: int, data: bytes) -> dict:
        got = self._call(state, self._s3.upload_part, Bucket=self._bucket(state), Key=key,
                         UploadId=upload_id, PartNumber=number, Body=data)
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
        found = self._entries(bucket, state, key)
        versions = [entry["VersionId"] for _, entry in found]
        existed = any(not marker for marker, _ in found)
        if not existed:
            # "Already absent" is recorded only on the answer of the state's own bucket.
            self.verify_space(state)
        errors = self._delete_pairs(bucket, [(key, v) for v in versions])
        refused = [
            f"{e.get('VersionId', '?')}: {e.get('Code', 'Error')} ({e.get('Message', '')})"
            for e in errors
        ]
        if refused and self._legally_held(bucket, key, _refused_versions(errors, versions)):
            raise ErasureHeld(
                f"S3 keeps {key} in {bucket} under an Object Lock legal hold; the erasure "
                "waits until the hold is released.")
        if refused:
            raise ErasureRefused(
                f"S3 refused to erase {len(refused)} of {len(versions)} versions of {key} in "
                f"{bucket}: {'; '.join(refused[:5])}. Object Lock retention or a legal hold "
                "keeps these versions; lift it (or wait for retention to end), then retry the "
                "dead letter with `humangov erasure retry`."
            )
        return Erased(existed=existed, versions=tuple(versions))

    def set_legal_holds(self, state: str, keys: Iterable[str], on: bool) -> int:
        bucket = self._bucket(state)
        if not self._object_lock_enabled(bucket):
            return 0
        status: ObjectLockLegalHoldTypeDef = {"Status": "ON" if on else "OFF"}
        n = 0
        for key in keys:
            for marker, entry in self._entries(bucket, state, self._check(key)):
                if marker:
                    continue
                with translating("Document storage"):
                    self._s3.put_object_legal_hold(Bucket=bucket, Key=key, LegalHold=status,
                                                   VersionId=entry["VersionId"])
                n += 1
        return n

    def _object_lock_enabled(self, bucket: str) -> bool:
        with translating("Document storage"):
            try:
                got = self._s3.get_object_lock_configuration(Bucket=bucket)
            except ClientError as exc:
                if code(exc) == "ObjectLockConfigurationNotFoundError":
                    return False
                raise
        return got.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"

    def _legally_held(self, bucket: str, key: str, versions: builtins.list[str]) -> bool:
        """Whether a version S3 refused to erase is under a legal hold (AccessDenied says
        only that a lock, a hold or retention, or a policy refused it)."""
        with translating("Document storage"):
            for version in versions:
                try:
                    got = self._s3.get_object_legal_hold(Bucket=bucket, Key=key,
                                                         VersionId=version)
                except ClientError:
                    continue  # no hold on it (or no Object Lock): retention or a policy
                if got.get("LegalHold", {}).get("Status") == "ON":
                    return True
        return False

    def all_versions(self, state: str) -> dict[str, builtins.list[str]]:
        """Every key's versions and delete markers, from one listing of the whole bucket: one
        call per thousand versions, where erasing key by key lists once per key (and, on an
        emulator, copies the whole bucket each time). Verifies the bucket first."""
        self.verify_space(state)
        bucket = self._bucket(state)
        found: dict[str, builtins.list[str]] = {}
        with translating("Document storage"):
            for page in self._s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                for entry in (*page.get("Versions", []), *page.get("DeleteMarkers", [])):
                    found.setdefault(entry["Key"], []).append(entry["VersionId"])
        return found

    def delete_versions(self, state: str,
                        versions: dict[str, builtins.list[str]]) -> dict[str, str]:
        """Erase the given versions, a thousand per call; returns, per key, why S3 refused
        any of its versions (Object Lock), for the keys it refused."""
        pairs = [(k, v) for k, vs in versions.items() for v in vs]
        return {e["Key"]: f"{e.get('Code', 'Error')} ({e.get('Message', '')})"
                for e in self._delete_pairs(self._bucket(state), pairs)}

    def _delete_pairs(self, bucket: str,
                      pairs: builtins.list[tuple[str, str]]) -> builtins.list[Any]:
        """DeleteObjects over (key, version) pairs, a thousand a call; the errors S3 returned
        (versions it refused to erase, under Object Lock)."""
        errors: builtins.list[Any] = []
        for start in range(0, len(pairs), DELETE_BATCH):
            batch = pairs[start:start + DELETE_BATCH]
            with translating("Document storage"):
                got = self._s3.delete_objects(Bucket=bucket, Delete={
                    "Objects": [{"Key": k, "VersionId": v} for k, v in batch], "Quiet": True})
            errors += got.get("Errors", [])
        return errors

    def _entries(self, bucket: str, state: str,
                 key: str) -> builtins.list[tuple[bool, Any]]:
        """(is a delete marker, entry) for every version and delete marker of exactly `key`."""
        found: builtins.list[tuple[bool, Any]] = []
        with translating("Document storage"):
            try:
                for page in self._s3.get_paginator("list_object_versions").paginate(
                    Bucket=bucket, Prefix=key
                ):
                    # Prefix also matches longer keys
                    found += ((False, v) for v in page.get("Versions", []) if v["Key"] == key)
                    found += ((True, m) for m in page.get("DeleteMarkers", []) if m["Key"] == key)
            except ClientError as exc:
                if code(exc) == "NoSuchBucket":
                    raise self._bucket_missing(bucket, state) from None
                raise
        return found

    def list(self, state: str, *, after: str | None = None) -> Iterator[BlobInfo]:
        """The live objects with their sizes; not the sweep's listing (`list_key_chunks`,
        which sees every version)."""
        self.verify_space(state)
        kwargs: dict[str, Any] = {"Bucket": self._bucket(state)}
        if after:
            kwargs["StartAfter"] = after
        with translating("Document storage"):
            try:
                for page in self._s3.get_paginator("list_objects_v2").paginate(**kwargs):
                    for obj in page.get("Contents", []):
                        yield BlobInfo(obj["Key"], obj["Size"], obj["LastModified"])
            except ClientError as exc:
                if code(exc) in _MISSING:
                    raise self._bucket_missing(self._bucket(state), state) from exc
                raise

    def list_keys(self, state: str) -> Iterator[str]:
        # ListObjectsV2 returns keys in UTF-8 binary order, the order the sweep merges on.
        return (info.key for info in self.list(state))

    def list_key_chunks(self, state: str, *, start: str | None = None, stop: str | None = None,
                        foreign: builtins.list[str] | None = None,
                        ) -> Iterator[builtins.list[str]]:
        """Keys in [start, stop) whose latest version is data, in pages. To `foreign` go the
        keys the sweep reports by raw key: objects under keys HumanGov could not have written
        (`.DS_Store`, `scans//x.pdf`, a leading slash, an overlong key), and keys with only
        noncurrent versions or a delete marker on top. Fails (StorageUnavailable) unless the
        bucket is the state's, so a missing bucket is never swept as an empty one."""
        self.verify_space(state)
        chunk: builtins.list[str] = []
        for key, live in self._keys(state, start, stop):
            if live and is_key(key):
                chunk.append(key)
                if len(chunk) == LIST_CHUNK:
                    yield chunk
                    chunk = []
            elif foreign is not None:
                foreign.append(key)
        if chunk:
            yield chunk

    def _keys(self, state: str, start: str | None,
              stop: str | None) -> Iterator[tuple[str, bool]]:
        """(key, whether its latest version is data) for each key in [start, stop), in key
        order. ListObjectVersions returns keys in the order of ListObjectsV2, each key's
        versions and delete markers in two lists of one page (a key may run on into the
        next page), so grouping the merged, key-sorted entries of the pages is streaming.
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html"""
        bucket = self._bucket(state)
        # No KeyMarker for `start`: only the parallel sweep lists a range, which S3 (no
        # SplitKeySpace) never does; and moto drops the first entry after a bare KeyMarker.
        for key, group in groupby(self._version_rows(bucket, state), key=itemgetter(0)):
            if start is not None and key < start:
                continue
            if stop is not None and key >= stop:
                return
            yield key, any(latest for _, latest in group)

    def _version_rows(self, bucket: str, state: str) -> Iterator[tuple[str, bool]]:
        """(key, is the latest data version) for every version and delete marker."""
        with translating("Document storage"):
            try:
                for page in self._s3.get_paginator("list_object_versions").paginate(
                    Bucket=bucket
                ):
                    rows = [(v["Key"], v["IsLatest"]) for v in page.get("Versions", [])]
                    rows += [(m["Key"], False) for m in page.get("DeleteMarkers", [])]
                    rows.sort(key=itemgetter(0))
                    yield from rows
            except ClientError as exc:
                if code(exc) == "NoSuchBucket":
                    raise self._bucket_missing(bucket, state) from None
                raise

    def foreign_files(self) -> S3BlobStore:
        """This store with any object key accepted, for the keys `list_key_chunks` reports
        as foreign; its `stat` also describes a key that has only hidden versions."""
        files = _ForeignObjects(self.clients, self.naming, clock=self.clock,
                                identity_ttl=self.identity_ttl, identity_tag=self.identity_tag)
        files._verified = self._verified  # one bucket, one identity check
        return files

    def drop_state(self, state: str) -> None:
        bucket = self._bucket(state)
        self._verified.pop(bucket, None)
        with translating("Document storage"):
            try:
                left = self._s3.list_object_versions(Bucket=bucket, MaxKeys=1)
            except ClientError as exc:
                if code(exc) in _MISSING:
                    return  # dropped already
                raise
            if left.get("Versions") or left.get("DeleteMarkers"):
                raise Conflict(
                    f"The state {state} still holds documents in {bucket}; erase them before "
                    "dropping its storage.")
            try:
                self._s3.delete_bucket(Bucket=bucket)
            except ClientError as exc:
                if code(exc) not in _MISSING:  # dropped meanwhile
                    raise

    def _call(self, state: str, method: Callable[..., T], **kwargs: Any) -> T:
        with translating("Document storage"):
            try:
                return method(**kwargs)
            except ClientError as exc:
                if code(exc) == "NoSuchBucket":  # gone since its identity was checked
                    raise self._bucket_missing(self._bucket(state), state) from None
                raise


class _ForeignObjects(S3BlobStore):
    @staticmethod
    def _check(key: str) -> str:
        if not key:
            raise InvalidInput("An object key is empty.", field="key")
        return key

    def stat(self, state: str, key: str) -> BlobInfo | None:
        """The live object; else, for a key with only noncurrent versions or a delete marker
        on top, its newest data version (the data that remains), or with no data at all its
        newest delete marker (size 0)."""
        live = super().stat(state, key)
        if live is not None:
            return live
        found = self._entries(self._bucket(state), state, self._check(key))
        if not found:
            return None
        data = [e for marker, e in found if not marker] or [e for _, e in found]
        newest = max(data, key=itemgetter("LastModified"))
        return BlobInfo(key, newest.get("Size", 0), newest["LastModified"])


def _stream(body: StreamingBody) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()


def _refused_versions(errors: builtins.list[Any],
                      versions: builtins.list[str]) -> builtins.list[str]:
    """The versions S3 refused to erase, named by each error's VersionId, so a key with many
    versions asks GetObjectLegalHold only of those. moto's DeleteObjects errors omit
    VersionId (S3's carry it): without it on every error, any version may be a refused one."""
    named = [e["VersionId"] for e in errors if e.get("VersionId")]
    return named if len(named) == len(errors) else versions
