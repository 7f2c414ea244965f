"""The stream Lambda, fed real-shaped DynamoDB Streams events from tests/events/."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from humangov.adapters.aws.naming import Naming
from humangov.adapters.aws.provision import ensure_platform, provision_state
from humangov.adapters.blobs.s3 import ErasureRefused, S3BlobStore
from humangov.aws import stream_cleanup
from humangov.bootstrap import lambda_runtime

EVENTS = Path(__file__).resolve().parent.parent / "events"
BUCKET = "humangov-ca-documents"


def event(name: str) -> dict:
    return json.loads((EVENTS / f"dynamodb_stream_{name}.json").read_text())


def old_key(record: dict) -> str:
    return record["dynamodb"]["OldImage"]["doc_key"]["S"]


@pytest.fixture
def runtime(aws_local):
    ensure_platform(aws_local.settings, aws_local.clients)
    provision_state(aws_local.settings, "CA", aws_local.clients)
    return lambda_runtime(aws_local.settings, aws_local.clients)


def versions_of(s3, key: str) -> list[str]:
    got = s3.list_object_versions(Bucket=BUCKET, Prefix=key)
    found = got.get("Versions", []) + got.get("DeleteMarkers", [])
    return [v["VersionId"] for v in found if v["Key"] == key]


def receipts(runtime):
    return runtime.ledger.receipts("CA", limit=100, cursor=None)[0]


def test_a_removed_record_erases_every_version_and_delete_marker_of_its_document(
    runtime, aws_local
):
    # GIVEN a document written twice and then "deleted" the S3 way (a delete marker)
    s3 = aws_local.clients.s3
    batch = event("remove")
    key = old_key(batch["Records"][0])
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"%PDF-first")
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"%PDF-second")
    s3.delete_object(Bucket=BUCKET, Key=key)
    before = versions_of(s3, key)
    assert len(before) == 3
    # WHEN the stream delivers the record's REMOVE
    result = stream_cleanup.handler(batch, runtime=runtime)
    # THEN nothing of the key is left, and the receipt lists each version id
    assert result == {"batchItemFailures": []}
    assert versions_of(s3, key) == []
    [receipt] = receipts(runtime)
    assert (receipt.key, receipt.reason, receipt.actor, receipt.result) == (
        key, "record-deleted", "alice@ca.gov", "erased")
    assert sorted(receipt.versions) == sorted(before)
    assert receipt.change_id == batch["Records"][0]["eventID"]


def test_a_replaced_document_is_erased_and_the_new_one_kept(runtime, aws_local):
    s3 = aws_local.clients.s3
    batch = event("modify_replace")
    record = batch["Records"][0]
    old, new = old_key(record), record["dynamodb"]["NewImage"]["doc_key"]["S"]
    s3.put_object(Bucket=BUCKET, Key=old, Body=b"%PDF-old")
    s3.put_object(Bucket=BUCKET, Key=new, Body=b"%PDF-new")
    assert stream_cleanup.handler(batch, runtime=runtime) == {"batchItemFailures": []}
    assert versions_of(s3, old) == [] and len(versions_of(s3, new)) == 1
    [receipt] = receipts(runtime)
    assert (receipt.key, receipt.reason, receipt.actor) == (old, "document-replaced", "bob@ca.gov")


def test_a_ttl_expiry_is_erased_with_the_ttl_actor(runtime, aws_local):
    batch = event("ttl_remove")
    key = old_key(batch["Records"][0])
    aws_local.clients.s3.put_object(Bucket=BUCKET, Key=key, Body=b"%PDF-")
    assert stream_cleanup.handler(batch, runtime=runtime) == {"batchItemFailures": []}
    [receipt] = receipts(runtime)
    assert (receipt.reason, receipt.actor) == ("record-deleted", "ttl")
    assert versions_of(aws_local.clients.s3, key) == []


def test_one_poison_record_fails_alone_and_the_rest_of_the_batch_is_done(runtime, aws_local):
    # GIVEN a batch: a good REMOVE, a corrupted item, a record without document, a field edit
    batch = event("batch_with_poison")
    good = batch["Records"][0]
    aws_local.clients.s3.put_object(Bucket=BUCKET, Key=old_key(good), Body=b"%PDF-")
    # WHEN the batch is handled
    result = stream_cleanup.handler(batch, runtime=runtime)
    # THEN only the poison record is reported, and the good one is erased
    assert result == {"batchItemFailures": [{"itemIdentifier": "111100000000000000005"}]}
    assert versions_of(aws_local.clients.s3, old_key(good)) == []
    assert [r.key for r in receipts(runtime)] == [old_key(good)]


def test_a_redelivered_batch_writes_no_duplicate_receipts(runtime, aws_local):
    for name in ("remove", "modify_replace"):
        aws_local.clients.s3.put_object(
            Bucket=BUCKET, Key=old_key(event(name)["Records"][0]), Body=b"x"
        )
        stream_cleanup.handler(event(name), runtime=runtime)
    first = receipts(runtime)
    result = stream_cleanup.handler(event("redelivered"), runtime=runtime)
    assert result == {"batchItemFailures": []}
    assert len(first) == 2 and len(receipts(runtime)) == 2


def test_a_record_from_an_unknown_table_is_a_failure_not_a_skip(runtime, aws_local):
    batch = event("unknown_table")
    aws_local.clients.s3.put_object(Bucket=BUCKET, Key=old_key(batch["Records"][0]), Body=b"x")
    result = stream_cleanup.handler(batch, runtime=runtime)
    assert result == {"batchItemFailures": [{"itemIdentifier": "111100000000000000008"}]}
    assert receipts(runtime) == []
    with pytest.raises(stream_cleanup.UnknownTable, match="payroll-archive"):
        stream_cleanup.handle_record(batch["Records"][0], runtime)


def test_a_document_a_live_record_still_references_is_not_erased(runtime, aws_local):
    # GIVEN the REMOVE of an employee whose document key a live record (same id) now holds
    from tests.contract.test_record_store import added, employee

    batch = event("remove")
    record = copy.deepcopy(batch["Records"][0])
    live = employee()
    from humangov.domain.states import state_for

    runtime.records.add_state(state_for("CA"))
    runtime.records.add_employee(live, added(live))
    record["dynamodb"]["OldImage"]["doc_key"]["S"] = live.document.key
    aws_local.clients.s3.put_object(Bucket=BUCKET, Key=live.document.key, Body=b"%PDF-")
    # WHEN it is handled, THEN the live document stays and no receipt claims otherwise
    assert stream_cleanup.handler({"Records": [record]}, runtime=runtime) == {
        "batchItemFailures": []
    }
    assert len(versions_of(aws_local.clients.s3, live.document.key)) == 1
    assert receipts(runtime) == []


# S3 refusing versions ------------------------------------------------------------------------
class _Clients:
    def __init__(self, s3):
        self.s3 = s3


def test_s3_refusing_to_delete_a_version_is_a_failed_erasure_with_the_reason():
    # moto does not refuse like Object Lock does, so the response is stubbed (botocore Stubber).
    s3 = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    key = "6f1c5b0e-3b8f-4a55-9d0c-1d2a3b4c5d61/doc.pdf"
    with Stubber(s3) as stub:
        stub.add_response("list_object_versions", {
            "Versions": [{"Key": key, "VersionId": "v1"}, {"Key": key, "VersionId": "v2"},
                         {"Key": key + ".bak", "VersionId": "other"}],
            "DeleteMarkers": [{"Key": key, "VersionId": "m1"}], "IsTruncated": False,
        }, {"Bucket": BUCKET, "Prefix": key})
        stub.add_response("delete_objects", {
            "Deleted": [{"Key": key, "VersionId": "m1"}, {"Key": key, "VersionId": "v2"}],
            "Errors": [{"Key": key, "VersionId": "v1", "Code": "AccessDenied",
                        "Message": "Access Denied because object protected by object lock."}],
        }, {"Bucket": BUCKET, "Delete": {
            "Objects": [{"Key": key, "VersionId": v} for v in ("v1", "v2", "m1")],
            "Quiet": True}})
        # Refused by a retention date, not a legal hold: a failure, where a hold would wait.
        # Only the version S3 refused is asked about its hold (the others are gone).
        stub.add_response("get_object_legal_hold", {"LegalHold": {"Status": "OFF"}},
                          {"Bucket": BUCKET, "Key": key, "VersionId": "v1"})
        store = S3BlobStore(_Clients(s3), Naming())
        with pytest.raises(ErasureRefused) as caught:
            store.delete("CA", key)
        stub.assert_no_pending_responses()
    message = caught.value.detail
    assert (
        "1 of 3 versions" in message and "v1: AccessDenied" in message and "object lock" in message
    )


def test_a_ttl_expiry_set_by_retention_is_receipted_retention_expired(runtime, aws_local):
    from datetime import UTC, date, datetime, timedelta
    from decimal import Decimal

    from humangov.domain.model import DocumentRef, Employee, HistoryEntry
    from humangov.domain.states import state_for

    now = datetime(2030, 1, 1, tzinfo=UTC)
    doc = DocumentRef.new("3f1c0d0e-0000-4000-8000-000000000001", 5, "0" * 64)
    gone = Employee("3f1c0d0e-0000-4000-8000-000000000001", "CA", "Ada", "Gone", "Clerk",
                    Decimal("1.00"), doc, now, now, separated_on=date(2020, 1, 1),
                    separation_reason="resigned")
    runtime.records.add_state(state_for("CA"))
    runtime.records.add_employee(gone, HistoryEntry(gone.id, "CA", "added", "t", now))
    at = now + timedelta(days=1)
    assert runtime.records.set_expiry("CA", gone.id, at) is True
    table = aws_local.clients.dynamodb.get_item(
        TableName=runtime.naming.table("CA"),
        Key={"pk": {"S": f"EMP#{gone.id}"}, "sk": {"S": "A"}})["Item"]
    assert table["expires_at"] == {"N": str(int(at.timestamp()))}
    assert runtime.records.set_expiry("CA", "3f1c0d0e-0000-4000-8000-0000000000ff", at) is False

    aws_local.clients.dynamodb.delete_item(  # what TTL does once the time has passed
        TableName=runtime.naming.table("CA"),
        Key={"pk": {"S": f"EMP#{gone.id}"}, "sk": {"S": "A"}})
    batch = event("ttl_remove")  # the REMOVE DynamoDB's TTL sends for that item
    record = batch["Records"][0]
    record["dynamodb"]["OldImage"] = {**table}
    aws_local.clients.s3.put_object(Bucket=BUCKET, Key=doc.key, Body=b"%PDF-")
    assert stream_cleanup.handler(batch, runtime=runtime) == {"batchItemFailures": []}
    [receipt] = receipts(runtime)
    assert (receipt.key, receipt.reason, receipt.actor) == (doc.key, "retention-expired", "ttl")
    assert versions_of(aws_local.clients.s3, doc.key) == []
