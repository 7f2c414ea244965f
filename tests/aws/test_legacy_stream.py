"""Stopping the bleeding on an earlier application's table (issue 12): its stream's REMOVE and
pdf-replacing MODIFY erase the object from its own bucket, every version, with a receipt.

The earlier layout is built exactly: table `humangov-california-dynamodb` keyed on `id` with a
NEW_AND_OLD_IMAGES stream, a versioned bucket `humangov-california-s3-<suffix>` tagged
humangov:legacy-state=CA, objects `<uuid>_<lower-case upload name>.pdf` at its root.
"""

from __future__ import annotations

import hashlib
import uuid

import pytest

from humangov.adapters.aws.changes import change_from_record
from humangov.aws import stream_cleanup
from humangov.aws.stream_worker import lambda_record
from humangov.bootstrap import lambda_runtime
from humangov.bootstrap import stream_worker as build_stream_worker
from humangov.domain.errors import StorageUnavailable
from tests.aws.stream_reader import stream_records

TABLE = "humangov-california-dynamodb"
BUCKET = "humangov-california-s3-7f3a"
TAG = {"Key": "humangov:legacy-state", "Value": "CA"}


def earlier_layout(clients, *, tagged: bool = True) -> None:
    clients.dynamodb.create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    clients.s3.create_bucket(Bucket=BUCKET)
    clients.s3.put_bucket_versioning(Bucket=BUCKET,
                                     VersioningConfiguration={"Status": "Enabled"})
    if tagged:
        clients.s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [TAG]})


def earlier_record(clients, upload_name: str, *bodies: bytes) -> tuple[str, str]:
    """What the earlier application did on a form post: objects, then the item."""
    record_id = str(uuid.uuid4())
    key = f"{uuid.uuid4()}_{upload_name.lower()}"
    for body in bodies:
        clients.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    clients.dynamodb.put_item(TableName=TABLE, Item={
        "id": {"S": record_id}, "first_name": {"S": "Maria"}, "last_name": {"S": "De La Cruz"},
        "role": {"S": "Clerk"}, "salary": {"S": "85000"}, "pdf": {"S": key}})
    return record_id, key


def versions(clients, key: str) -> list[str]:
    got = clients.s3.list_object_versions(Bucket=BUCKET, Prefix=key)
    return [v["VersionId"] for v in got.get("Versions", []) + got.get("DeleteMarkers", [])
            if v["Key"] == key]


def legacy_settings(aws):
    return aws.settings.model_copy(update={
        "aws_legacy": {"CA": {"table": TABLE, "bucket": BUCKET}},
        "erasure_max_attempts": 3, "erasure_base_backoff_seconds": 0.001})


def run_worker(aws):
    worker = build_stream_worker(legacy_settings(aws), clients=aws.clients, sleep=lambda s: None)
    return worker, worker.run_once()


def receipts(worker):
    return worker.runtime.ledger.receipts("CA", limit=100, cursor=None)[0]


def test_a_deleted_record_erases_every_version_of_its_object_with_one_receipt(aws):
    earlier_layout(aws.clients)
    record_id, key = earlier_record(aws.clients, "Maria De La Cruz ID.pdf",
                                    b"%PDF-first scan", b"%PDF-second scan")
    _, kept = earlier_record(aws.clients, "John Smith.pdf", b"%PDF-john")
    before = versions(aws.clients, key)
    assert len(before) == 2

    aws.clients.dynamodb.delete_item(TableName=TABLE, Key={"id": {"S": record_id}})
    worker, stats = run_worker(aws)

    assert stats.dead_lettered == 0
    assert versions(aws.clients, key) == [] and len(versions(aws.clients, kept)) == 1
    [receipt] = receipts(worker)
    assert (receipt.state, receipt.key, receipt.reason, receipt.actor, receipt.result) == (
        "CA", key, "record-deleted", "legacy-app", "erased")
    assert sorted(receipt.versions) == sorted(before)
    assert receipt.sha256 == hashlib.sha256(b"%PDF-second scan").hexdigest()
    assert receipt.size == len(b"%PDF-second scan")
    # the checkpoint holds: a second pass erases and receipts nothing more
    again = run_worker(aws)[1]
    assert again.delivered == 0 and len(receipts(worker)) == 1


def test_an_edit_replacing_pdf_erases_the_old_object_and_keeps_the_new(aws_local):
    aws = aws_local
    earlier_layout(aws.clients)
    record_id, old = earlier_record(aws.clients, "Maria.pdf", b"%PDF-old")
    new = f"{uuid.uuid4()}_maria new.pdf"
    aws.clients.s3.put_object(Bucket=BUCKET, Key=new, Body=b"%PDF-new")
    aws.clients.dynamodb.update_item(
        TableName=TABLE, Key={"id": {"S": record_id}}, UpdateExpression="SET pdf = :p",
        ExpressionAttributeValues={":p": {"S": new}})
    worker, _ = run_worker(aws)
    assert versions(aws.clients, old) == [] and len(versions(aws.clients, new)) == 1
    [receipt] = receipts(worker)
    assert (receipt.key, receipt.reason, receipt.result) == (old, "document-replaced", "erased")


def test_an_edit_of_salary_only_erases_nothing(aws_local):
    aws = aws_local
    earlier_layout(aws.clients)
    record_id, key = earlier_record(aws.clients, "Maria.pdf", b"%PDF-kept")
    aws.clients.dynamodb.update_item(
        TableName=TABLE, Key={"id": {"S": record_id}}, UpdateExpression="SET salary = :s",
        ExpressionAttributeValues={":s": {"S": "90000"}})
    worker, stats = run_worker(aws)
    assert stats.delivered >= 2 and stats.dead_lettered == 0  # the INSERT and the MODIFY
    assert len(versions(aws.clients, key)) == 1 and receipts(worker) == []


def test_a_record_put_back_before_its_removal_is_handled_keeps_its_object(aws_local):
    aws = aws_local
    earlier_layout(aws.clients)
    record_id, key = earlier_record(aws.clients, "Maria.pdf", b"%PDF-restored")
    item = aws.clients.dynamodb.get_item(TableName=TABLE, Key={"id": {"S": record_id}})["Item"]
    aws.clients.dynamodb.delete_item(TableName=TABLE, Key={"id": {"S": record_id}})
    aws.clients.dynamodb.put_item(TableName=TABLE, Item=item)
    worker, _ = run_worker(aws)
    assert len(versions(aws.clients, key)) == 1 and receipts(worker) == []


def test_an_untagged_earlier_bucket_is_retried_then_dead_lettered_never_receipted(aws_local):
    aws = aws_local
    earlier_layout(aws.clients, tagged=False)
    record_id, key = earlier_record(aws.clients, "Maria.pdf", b"%PDF-data")
    aws.clients.dynamodb.delete_item(TableName=TABLE, Key={"id": {"S": record_id}})
    [remove] = [lambda_record(r, _stream_arn(aws)) for r in stream_records(aws.clients, TABLE)
                if r["eventName"] == "REMOVE"]
    runtime = lambda_runtime(legacy_settings(aws), aws.clients)
    # the cause the Lambda logs and the mapping retries on: the bucket and the missing tag
    with pytest.raises(StorageUnavailable, match=f"{BUCKET}.*humangov:legacy-state=CA"):
        stream_cleanup.handle_record(remove, runtime)
    assert stream_cleanup.handler({"Records": [remove]}, runtime=runtime) == {
        "batchItemFailures": [{"itemIdentifier": remove["dynamodb"]["SequenceNumber"]}]}

    worker, stats = run_worker(aws)
    assert stats.dead_lettered == 1 and stats.retried == 2
    assert len(versions(aws.clients, key)) == 1 and receipts(worker) == []
    [dead] = worker.dead_letters.dead_letters("CA")
    assert dead.last_error is not None and key in dead.last_error and BUCKET in dead.last_error
    assert dead.change.old is None  # `erasure retry` must not replay it into CA's own bucket


def test_an_earlier_table_with_no_bucket_configured_fails_with_the_setting_named(aws_local):
    aws = aws_local
    earlier_layout(aws.clients)
    record_id, _ = earlier_record(aws.clients, "Maria.pdf", b"%PDF-data")
    aws.clients.dynamodb.delete_item(TableName=TABLE, Key={"id": {"S": record_id}})
    [remove] = [lambda_record(r, _stream_arn(aws)) for r in stream_records(aws.clients, TABLE)
                if r["eventName"] == "REMOVE"]
    runtime = lambda_runtime(aws.settings, aws.clients)  # no HUMANGOV_AWS_LEGACY
    with pytest.raises(stream_cleanup.UnknownTable, match="HUMANGOV_AWS_LEGACY"):
        stream_cleanup.handle_record(remove, runtime)


def _stream_arn(aws) -> str:
    return aws.clients.dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]


# change_from_record alone, on hand-made records ---------------------------------------------

def _record(event: str, old: dict | None = None, new: dict | None = None, **extra) -> dict:
    data: dict = {"SequenceNumber": "1", "ApproximateCreationDateTime": 1_700_000_000}
    if old is not None:
        data["OldImage"] = {k: {"S": v} for k, v in old.items()}
    if new is not None:
        data["NewImage"] = {k: {"S": v} for k, v in new.items()}
    return {"eventID": "e1", "eventName": event, "dynamodb": data, **extra}


ITEM = {"id": "r1", "first_name": "Maria", "salary": "85000", "pdf": "u1_maria.pdf"}


def test_a_ttl_removal_of_an_earlier_item_has_the_ttl_actor():
    record = _record("REMOVE", ITEM, userIdentity={"type": "Service",
                                                   "principalId": "dynamodb.amazonaws.com"})
    change = change_from_record(record, "CA")
    assert change is not None and (change.actor, change.reason) == ("ttl", "record-deleted")
    assert change.old is not None and (change.old.key, change.old.sha256) == ("u1_maria.pdf", "")


def test_an_edit_dropping_pdf_erases_the_old_object():
    change = change_from_record(_record("MODIFY", ITEM, {**ITEM, "pdf": ""}), "CA")
    assert change is not None and change.new is None
    assert (change.reason, change.actor, change.employee_id) == (
        "document-replaced", "legacy-app", "r1")


@pytest.mark.parametrize("record", [
    _record("INSERT", new=ITEM),
    _record("REMOVE", {k: v for k, v in ITEM.items() if k != "pdf"}),
    _record("MODIFY", ITEM, {**ITEM, "salary": "90000"}),
], ids=["insert", "no-pdf", "salary-only"])
def test_earlier_records_that_free_no_object_carry_no_change(record):
    assert change_from_record(record, "CA") is None
