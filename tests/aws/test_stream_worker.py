"""The local stream worker: Lambda's event source mapping semantics over moto's streams."""

from __future__ import annotations

import uuid

from botocore.exceptions import ClientError

from humangov.bootstrap import bootstrap
from humangov.bootstrap import stream_worker as build_stream_worker
from tests.aws.conftest import stored_employee


def worker(settings, **kw):
    return build_stream_worker(settings, sleep=lambda s: None, **kw)


def test_deleted_employees_documents_are_erased_and_the_checkpoint_advances(app_on_aws):
    settings, container = app_on_aws
    people = [stored_employee(container) for _ in range(3)]
    for e in people[:2]:
        container.records.delete_employee("CA", e.id, "alice")
    w = worker(settings, batch_size=2)  # several batches per shard
    stats = w.run_once()
    assert stats.dead_lettered == 0 and stats.batches >= 2
    assert [container.blobs.exists("CA", e.document.key) for e in people] == [False, False, True]
    receipts, _ = container.ledger.receipts("CA", limit=10, cursor=None)
    assert sorted(r.key for r in receipts) == sorted(e.document.key for e in people[:2])
    # a second pass starts from the checkpoint: nothing is delivered again
    again = worker(settings).run_once()
    assert again.delivered == 0
    assert len(container.ledger.receipts("CA", limit=10, cursor=None)[0]) == 2


def test_a_record_that_keeps_failing_is_dead_lettered_and_the_shard_moves_on(app_on_aws):
    settings, container = app_on_aws
    good, bad, later = (stored_employee(container) for _ in range(3))
    for e in (good, bad, later):
        container.records.delete_employee("CA", e.id, "alice")
    w = worker(settings)
    real = w.handler

    def is_bad(record):  # the REMOVE that obliges erasing bad's document
        return record["eventName"] == "REMOVE" and bad.document.key in str(record)

    def flaky(event):  # the bad record's erasure always fails, as a locked S3 object would
        result = real({"Records": [r for r in event["Records"] if not is_bad(r)]})
        poisoned = [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]}
                    for r in event["Records"] if is_bad(r)]
        return {"batchItemFailures": poisoned + result["batchItemFailures"]}

    w.handler = flaky
    stats = w.run_once()
    assert stats.dead_lettered == 1 and stats.retried == 2  # attempts 1 and 2 retried, 3rd parks
    assert not container.blobs.exists("CA", good.document.key)
    assert not container.blobs.exists("CA", later.document.key)
    assert container.blobs.exists("CA", bad.document.key)
    [dead] = container.outbox.dead_letters("CA")
    assert (dead.change.old.key, dead.change.reason, dead.status) == (
        bad.document.key, "record-deleted", "dead")
    # `humangov erasure retry` then `humangov worker` erase it through the same outbox port
    assert container.outbox.retry_dead(dead.id) == 1
    from humangov.erasure.worker import ErasureWorker

    ErasureWorker(container.outbox, container.blobs, container.records, container.ledger,
                  container.clock, settings, "w1").drain()
    assert not container.blobs.exists("CA", bad.document.key)
    assert container.outbox.dead_letters("CA") == []


def test_an_expired_shard_iterator_is_replaced_from_the_checkpoint(app_on_aws):
    settings, container = app_on_aws
    e = stored_employee(container)
    container.records.delete_employee("CA", e.id, "alice")
    w = worker(settings)
    streams = w.clients.streams
    calls = {"n": 0}
    original = streams.get_records

    def expiring(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ClientError({"Error": {"Code": "ExpiredIteratorException", "Message": "expired"}},
                              "GetRecords")
        return original(**kwargs)

    streams.get_records = expiring
    try:
        stats = w.run_once()
    finally:
        del streams.get_records
    assert stats.iterator_renewals == 1
    assert not container.blobs.exists("CA", e.document.key)


def test_deleting_an_employee_through_the_api_on_moto_server_erases_every_version(
    aws_server, pdf_bytes
):
    """End to end on the AWS path: the real app, moto_server over HTTP, the stream worker."""
    from fastapi.testclient import TestClient

    from humangov.web.app import create_app

    # GIVEN HumanGov on the AWS backend with CA provisioned (table with stream, versioned bucket)
    container = bootstrap(aws_server.settings)
    container.personnel.add_state("CA")
    token, _ = container.accounts.create_token("editor", "CA")
    headers = {"Authorization": f"Bearer {token}"}
    s3 = aws_server.clients.s3
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        # WHEN an employee is created with a document, the document replaced, then deleted
        r = client.post("/api/v1/states/CA/employees", headers=headers,
                        data={"first_name": "Ada", "last_name": "Lovelace", "role": "Analyst",
                              "salary": "85000"},
                        files={"document": ("id.pdf", pdf_bytes, "application/pdf")})
        assert r.status_code == 201, r.text
        created = r.json()
        key = container.records.get_employee("CA", created["id"]).document.key
        s3.put_object(
            Bucket="humangov-ca-documents", Key=key, Body=pdf_bytes + b"%v2"
        )  # 2nd version
        r = client.delete(f"/api/v1/states/CA/employees/{created['id']}", headers=headers)
        assert r.status_code in (200, 204), r.text
    versions = s3.list_object_versions(Bucket="humangov-ca-documents", Prefix=key)
    assert len(versions.get("Versions", [])) == 2
    stats = build_stream_worker(aws_server.settings).run_once()
    # THEN every version is gone and the ledger holds one receipt listing them
    assert stats.dead_lettered == 0
    versions = s3.list_object_versions(Bucket="humangov-ca-documents", Prefix=key)
    assert versions.get("Versions", []) == [] and versions.get("DeleteMarkers", []) == []
    [receipt] = container.ledger.receipts("CA", limit=10, cursor=None)[0]
    assert (receipt.key, receipt.reason, receipt.result, len(receipt.versions)) == (
        key, "record-deleted", "erased", 2)
    uuid.UUID(receipt.change_id)
