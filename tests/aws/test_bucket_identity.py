"""A state's bucket is the state's only while it carries the identity tag provisioning wrote:
a bucket removed or untagged makes erasure fail and retry (never an "already absent"
receipt), the sweep of that state fail, and uploads refuse; `states add` adopts an untagged
bucket by adding the tag to the ones it has, but only beside the state's own HumanGov table (a
deployment from before the tag): alone, an untagged bucket is refused (tests/legacy)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from humangov.adapters.aws.naming import IDENTITY_TAG
from humangov.adapters.aws.provision import provision_state
from humangov.adapters.blobs.s3 import S3BlobStore
from humangov.bootstrap import stream_worker as build_stream_worker
from humangov.domain.errors import Conflict, StorageUnavailable
from humangov.erasure.sweep import scan
from humangov.erasure.worker import ErasureWorker
from tests.aws.conftest import stored_employee
from tests.contract.test_record_store import employee

BUCKET = "humangov-ca-documents"


def remove_every_version(s3, prefix: str = "") -> None:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=BUCKET, Prefix=prefix):
        for v in page.get("Versions", []) + page.get("DeleteMarkers", []):
            s3.delete_object(Bucket=BUCKET, Key=v["Key"], VersionId=v["VersionId"])


def tags(s3) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"]}


def erase_deleted(settings, container, e):
    """Delete `e`'s record and let the stream worker (the Lambda's handler) erase its file."""
    container.records.delete_employee("CA", e.id, "alice")
    return build_stream_worker(settings, sleep=lambda s: None).run_once()


def retried_error(settings, container) -> str:
    """Retry the dead letter through the ErasureWorker (no retry window: one attempt); what
    it failed with."""
    [dead] = container.outbox.dead_letters("CA")
    assert container.outbox.retry_dead(dead.id) == 1
    once = settings.model_copy(update={"erasure_retry_for": timedelta(0)})
    assert ErasureWorker(container.outbox, container.blobs, container.records, container.ledger,
                         container.clock, once, "w1").run_once() == 1
    [again] = container.outbox.dead_letters("CA")
    return again.last_error


def sweep_of_ca(container):
    return scan("CA", blobs=container.blobs, records=container.records,
                now=datetime.now(UTC), grace=timedelta(0))


def test_provisioning_tags_the_bucket_as_the_states(app_on_aws):
    _, container = app_on_aws
    assert tags(container.blobs.clients.s3) == {IDENTITY_TAG: "CA"}
    assert container.blobs.verify_space("CA") is None


def test_a_removed_bucket_fails_erasure_and_the_sweep_naming_the_bucket(app_on_aws):
    settings, container = app_on_aws
    e = stored_employee(container)
    # GIVEN CA's bucket removed
    remove_every_version(container.blobs.clients.s3)
    container.blobs.clients.s3.delete_bucket(Bucket=BUCKET)
    missing = f"The bucket {BUCKET} of CA does not exist"
    # WHEN the employee is deleted and the erasure runs until it is a dead letter
    stats = erase_deleted(settings, container, e)
    # THEN no receipt says "already absent": the erasure is a dead letter naming the bucket
    assert stats.dead_lettered == 1
    assert container.ledger.receipts("CA", limit=10, cursor=None)[0] == []
    # AND retried through the ErasureWorker, it fails again, saying why
    assert missing in retried_error(settings, container)
    assert container.ledger.receipts("CA", limit=10, cursor=None)[0] == []
    # AND the sweep of CA fails rather than finding an empty state, as does an upload
    with pytest.raises(StorageUnavailable, match=missing):
        sweep_of_ca(container)
    with pytest.raises(StorageUnavailable, match=missing):
        container.blobs.verify_space("CA")
    with pytest.raises(StorageUnavailable, match=missing):
        container.blobs.put("CA", employee().document.key, [b"%PDF-new"])


def test_an_untagged_bucket_is_refused_until_states_add_adopts_it_keeping_its_tags(app_on_aws):
    settings, container = app_on_aws
    s3 = container.blobs.clients.s3
    e = stored_employee(container)
    other = stored_employee(container)
    # GIVEN CA's bucket with the identity tag gone (only someone else's tag left), and a
    # fresh store (a restarted app: nothing cached)
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": "team", "Value": "hr"}]})
    container.blobs = S3BlobStore(container.blobs.clients, container.blobs.naming)
    not_ca = f"The bucket {BUCKET} is not CA's: it lacks the tag {IDENTITY_TAG}=CA"
    with pytest.raises(StorageUnavailable, match=not_ca):
        container.blobs.verify_space("CA")
    with pytest.raises(StorageUnavailable, match=not_ca):
        sweep_of_ca(container)
    # WHEN a record whose file is already gone is deleted, THEN no "already-absent" receipt
    remove_every_version(s3, e.document.key)
    assert erase_deleted(settings, container, e).dead_lettered == 1
    assert not_ca in retried_error(settings, container)
    assert container.ledger.receipts("CA", limit=10, cursor=None)[0] == []
    # WHEN `states add CA` runs again, CA's HumanGov table beside the bucket
    assert container.records.clients.dynamodb.describe_table(
        TableName="humangov-ca-records")["Table"]["KeySchema"][0]["AttributeName"] == "pk"
    container.personnel.add_state("CA")
    # THEN the bucket is CA's, with its other tag kept, and the same store accepts it at once
    assert tags(s3) == {"team": "hr", IDENTITY_TAG: "CA"}
    container.blobs.verify_space("CA")
    assert [o.key for o in sweep_of_ca(container).orphans] == []
    assert erase_deleted(settings, container, other).dead_lettered == 0
    [receipt] = container.ledger.receipts("CA", limit=10, cursor=None)[0]
    assert (receipt.key, receipt.result) == (other.document.key, "erased")


def test_a_bucket_tagged_as_another_states_is_refused_and_never_retagged(app_on_aws):
    settings, container = app_on_aws
    s3 = container.blobs.clients.s3
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": IDENTITY_TAG,
                                                              "Value": "TX"}]})
    store = S3BlobStore(container.blobs.clients, container.blobs.naming)
    with pytest.raises(StorageUnavailable, match=f"is not CA's: .*it is tagged {IDENTITY_TAG}=TX"):
        store.verify_space("CA")
    with pytest.raises(Conflict, match="another state's documents"):
        provision_state(settings, "CA", container.blobs.clients)
    assert tags(s3) == {IDENTITY_TAG: "TX"}


class FakeClock:
    def __init__(self) -> None:
        self.at = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


def test_a_good_identity_is_trusted_for_a_minute_a_bad_one_never(app_on_aws):
    _, container = app_on_aws
    s3 = container.blobs.clients.s3
    clock = FakeClock()
    store = S3BlobStore(container.blobs.clients, container.blobs.naming, clock=clock)
    asked = []
    s3.meta.events.register("before-call.s3.GetBucketTagging", lambda **_: asked.append(1))
    # GIVEN the identity checked once
    store.verify_space("CA")
    s3.delete_bucket_tagging(Bucket=BUCKET)
    # THEN within the minute it is not asked again (readiness and every erasure rely on it)
    clock.at += timedelta(seconds=59)
    store.verify_space("CA")
    assert len(asked) == 1
    # AND after it, the lost tag is found, and the failure is asked again on every call
    clock.at += timedelta(seconds=2)
    for _ in range(2):
        with pytest.raises(StorageUnavailable, match="is not CA's"):
            store.verify_space("CA")
    assert len(asked) == 3
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": IDENTITY_TAG,
                                                              "Value": "CA"}]})
    store.verify_space("CA")


def test_a_role_that_may_not_read_tags_is_told_which_permission_is_missing(app_on_aws):
    _, container = app_on_aws
    s3 = container.blobs.clients.s3
    denied = {"Error": {"Code": "AccessDenied", "Message": "Access Denied"},
              "ResponseMetadata": {"HTTPStatusCode": 403}}
    s3.meta.events.register("before-call.s3.GetBucketTagging",
                            lambda **_: (SimpleNamespace(status_code=403), denied))
    store = S3BlobStore(container.blobs.clients, container.blobs.naming)
    with pytest.raises(StorageUnavailable, match=f"s3:GetBucketTagging is denied.*{BUCKET}|"
                                                 f"{BUCKET}.*s3:GetBucketTagging is denied"):
        store.verify_space("CA")


def test_a_state_never_provisioned_is_refused_by_every_call_that_answers_for_it(app_on_aws):
    _, container = app_on_aws
    store, key = container.blobs, employee().document.key
    for call in (lambda: store.verify_space("NV"), lambda: store.delete("NV", key),
                 lambda: store.put("NV", key, [b"%PDF-x"]),
                 lambda: list(store.list_key_chunks("NV"))):
        with pytest.raises(StorageUnavailable, match="humangov-nv-documents of NV does not"):
            call()
