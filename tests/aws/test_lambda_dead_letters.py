"""The erasure Lambda's final failures land where the embedded ones do: the dead-letter store
that `humangov erasure dead-letters`, `retry` and the compliance report read."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import orjson
import pytest
from typer.testing import CliRunner

from humangov.aws import stream_cleanup
from humangov.aws.stream_worker import lambda_record
from humangov.bootstrap import lambda_runtime
from humangov.cli import app
from humangov.domain.errors import StorageUnavailable
from humangov.erasure.worker import ErasureWorker
from tests.aws.conftest import stored_employee
from tests.aws.stream_reader import stream_records

BUCKET, TABLE = "humangov-ca-documents", "humangov-ca-records"


@pytest.fixture
def on_aws(app_on_aws, aws_local):
    settings, container = app_on_aws
    return settings, container, aws_local.clients


def removal_event(clients) -> dict:
    """The employees' REMOVE records of CA's stream as Lambda delivers them (its filter
    passes no list, search or counter item)."""
    arn = clients.dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    return {"Records": [lambda_record(r, arn) for r in stream_records(clients, TABLE)
                        if r["eventName"] == "REMOVE"
                        and r["dynamodb"]["OldImage"].get("kind") == {"S": "EMP"}]}


def retained(clients, key: str, until: datetime) -> str:
    """Put `key`'s one version under Object Lock retention until `until`; returns the version.
    (A legal hold is no failure but a wait: see test_legal_holds.)"""
    [version] = clients.s3.list_object_versions(Bucket=BUCKET, Prefix=key)["Versions"]
    clients.s3.put_object_retention(
        Bucket=BUCKET, Key=key, VersionId=version["VersionId"], BypassGovernanceRetention=True,
        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until})
    return version["VersionId"]


def humangov(settings, *args) -> list | dict:
    result = CliRunner().invoke(app, [*args, "--format", "json"], env={
        "HUMANGOV_BACKEND": "aws", "HUMANGOV_DATA_DIR": str(settings.data_dir),
        "HUMANGOV_ENVIRONMENT": "test"})
    assert result.exit_code == 0, result.output
    return orjson.loads(result.stdout)


def test_a_retained_document_ends_as_one_dead_letter_counsel_sees_then_retry_erases_it(
        on_aws, capsys):
    settings, container, clients = on_aws
    clients.s3.put_object_lock_configuration(  # S3 allows it on an empty versioned bucket
        Bucket=BUCKET, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    e = stored_employee(container)
    retained(clients, e.document.key, datetime(2100, 1, 1, tzinfo=UTC))
    container.records.delete_employee("CA", e.id, "alice")
    event = removal_event(clients)
    runtime = lambda_runtime(settings, clients)

    # WHEN the handler meets the refusal, on the first delivery and on redeliveries
    for _ in range(3):
        assert stream_cleanup.handler(event, runtime=runtime) == {"batchItemFailures": []}

    # THEN the document stays, no receipt claims otherwise, and there is one dead letter,
    # counted once in the metric the state's alarm watches
    [metric] = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()
                if "ErasureDeadLetters" in line]
    assert (metric["State"], metric["ErasureDeadLetters"]) == ("CA", 1)
    assert metric["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "HumanGov"
    assert clients.s3.list_object_versions(Bucket=BUCKET, Prefix=e.document.key)["Versions"]
    dead = humangov(settings, "erasure", "dead-letters", "--state", "CA")
    assert [(d["state"], d["reason"], d["key"], d["attempts"]) for d in dead] == [
        ("CA", "record-deleted", e.document.key, 1)]
    assert "ErasureRefused" in dead[0]["last_error"] and "AccessDenied" in dead[0]["last_error"]
    report = humangov(settings, "compliance", "report", "--state", "CA")
    assert [d["key"] for d in report["dead_letters"]] == [e.document.key]
    assert (report["pending_intents"], report["receipts"]) == (0, [])

    # WHEN the retention is lifted, the stream is gone and the dead letter is retried
    retained(clients, e.document.key, datetime(2000, 1, 1, tzinfo=UTC))
    clients.dynamodb.update_table(TableName=TABLE,
                                  StreamSpecification={"StreamEnabled": False})
    result = CliRunner().invoke(app, ["erasure", "retry", str(dead[0]["id"])], env={
        "HUMANGOV_BACKEND": "aws", "HUMANGOV_DATA_DIR": str(settings.data_dir)})
    assert result.exit_code == 0, result.output
    ErasureWorker(container.outbox, container.blobs, container.records, container.ledger,
                  container.clock, settings, "serve@test").drain()

    # THEN it is erased from the recorded change, with a receipt in counsel's report
    assert "Versions" not in clients.s3.list_object_versions(Bucket=BUCKET,
                                                             Prefix=e.document.key)
    report = humangov(settings, "compliance", "report", "--state", "CA")
    assert report["dead_letters"] == [] and report["pending_intents"] == 0
    [receipt] = report["receipts"]
    assert (receipt["key"], receipt["reason"], receipt["result"], receipt["actor"]) == (
        e.document.key, "record-deleted", "erased", "alice")


def test_a_failure_that_may_pass_is_retried_by_the_mapping_then_parked_with_its_error(on_aws):
    settings, container, clients = on_aws  # erasure_max_attempts = 3
    e = stored_employee(container)
    container.records.delete_employee("CA", e.id, "alice")
    event = removal_event(clients)
    [record] = [r for r in event["Records"] if e.document.key in str(r)]
    # the document is not there, and the bucket no longer shows it is CA's: "already
    # absent" may not be receipted, and a restored bucket will pass
    for v in clients.s3.list_object_versions(Bucket=BUCKET, Prefix=e.document.key)["Versions"]:
        clients.s3.delete_object(Bucket=BUCKET, Key=e.document.key, VersionId=v["VersionId"])
    clients.s3.delete_bucket_tagging(Bucket=BUCKET)
    runtime = lambda_runtime(settings, clients)
    failed = {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}

    assert stream_cleanup.handler(event, runtime=runtime) == failed
    assert stream_cleanup.handler(event, runtime=runtime) == failed
    assert container.outbox.dead_letters("CA") == []
    assert stream_cleanup.handler(event, runtime=runtime) == {"batchItemFailures": []}

    [dead] = container.outbox.dead_letters("CA")
    assert (dead.change.change_id, dead.change.old.key, dead.attempts) == (
        record["eventID"], e.document.key, 3)
    assert "humangov:state=CA" in dead.last_error
    # a redelivery after it was parked parks nothing more
    assert stream_cleanup.handler(event, runtime=runtime) == failed
    assert len(container.outbox.dead_letters("CA")) == 1


# concurrency -------------------------------------------------------------------------------
def record(n: int, item: str, name: str = "REMOVE") -> dict:
    return {"eventID": f"e{n}", "eventName": name, "eventSourceARN": f"arn:stream/{TABLE}",
            "dynamodb": {"SequenceNumber": str(n),
                         "Keys": {"pk": {"S": f"EMP#{item}"}, "sk": {"S": "EMP"}}}}


def test_items_are_erased_concurrently_each_in_stream_order_failures_reported_per_record(
        on_aws, monkeypatch):
    settings, _, clients = on_aws
    runtime = lambda_runtime(settings, clients)
    batch = [record(1, "a", "MODIFY"), record(2, "b"), record(3, "a"), record(4, "c"),
             record(5, "c", "MODIFY"), record(6, "d")]
    b_started, handled = threading.Event(), []

    def handle(raw, _runtime):
        if raw["eventID"] == "e1":  # a's first record waits until b's runs beside it
            assert b_started.wait(timeout=30), "item b was not erased concurrently"
        if raw["eventID"] == "e2":
            b_started.set()
        handled.append(raw["eventID"])
        if raw["eventID"] == "e4":
            raise StorageUnavailable("the bucket is away")
        return []

    monkeypatch.setattr(stream_cleanup, "handle_record", handle)
    result = stream_cleanup.handler({"Records": batch}, runtime=runtime)

    # c's first record failed alone; its next waits for the retry, in order, with it
    assert result == {"batchItemFailures": [{"itemIdentifier": "4"}, {"itemIdentifier": "5"}]}
    assert "e5" not in handled and handled.index("e1") < handled.index("e3")
    assert sorted(handled) == ["e1", "e2", "e3", "e4", "e6"]
    assert runtime.dead_letters.dead_letters() == []  # one failure of three allowed


# the SQS on-failure queue, the backstop ------------------------------------------------------
def on_failure_message(clients, records: list[dict]) -> str:
    """What Lambda sends the queue when it gives up on a batch of a DynamoDB stream: where
    the records are, not the records."""
    arn = clients.dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    [shard] = clients.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    return orjson.dumps({
        "requestContext": {"requestId": "r-1", "condition": "RetryAttemptsExhausted",
                           "approximateInvokeCount": 6,
                           "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:f"},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                            "functionError": "Unhandled"},
        "version": "1.0", "timestamp": "2026-12-01T10:00:05.000Z",
        "DDBStreamBatchInfo": {
            "shardId": shard["ShardId"], "streamArn": arn,
            "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": "2026-12-01T10:00:00Z",
            "approximateArrivalOfLastRecord": "2026-12-01T10:00:01Z",
            "batchSize": len(records)}}).decode()


def queue_depth(clients, url: str) -> int:
    got = clients.get("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return sum(int(v) for v in got.values())


def import_queue(settings, url: str):
    return CliRunner().invoke(app, ["erasure", "import-queue", "--queue-url", url, "--format",
                                    "json"], env={"HUMANGOV_BACKEND": "aws",
                                                  "HUMANGOV_DATA_DIR": str(settings.data_dir)})


def test_a_queue_message_becomes_dead_letters_of_its_records_and_is_then_deleted(on_aws):
    settings, container, clients = on_aws
    kept, gone = stored_employee(container), stored_employee(container)
    container.records.delete_employee("CA", gone.id, "alice")
    url = clients.get("sqs").create_queue(QueueName="humangov-ca-erasure-failures")["QueueUrl"]
    # a batch holding inserts, history items and the removal: only the removal obliges
    clients.get("sqs").send_message(QueueUrl=url, MessageBody=on_failure_message(
        clients, stream_records(clients, TABLE)))

    result = import_queue(settings, url)

    assert result.exit_code == 0, result.output
    got = orjson.loads(result.stdout)
    assert (got["messages"], got["dead_letters"], got["kept"]) == (1, 1, 0)
    assert queue_depth(clients, url) == 0
    [dead] = container.outbox.dead_letters("CA")
    assert (dead.change.old.key, dead.change.reason, dead.attempts) == (
        gone.document.key, "record-deleted", 6)
    assert "RetryAttemptsExhausted" in dead.last_error and url in dead.last_error
    assert clients.s3.list_object_versions(Bucket=BUCKET, Prefix=kept.document.key)["Versions"]
    # the same message again (an at-least-once redelivery) adds no second dead letter
    clients.get("sqs").send_message(QueueUrl=url, MessageBody=on_failure_message(
        clients, stream_records(clients, TABLE)))
    again = import_queue(settings, url)
    assert again.exit_code == 0 and orjson.loads(again.stdout)["dead_letters"] == 0
    assert len(container.outbox.dead_letters("CA")) == 1 and queue_depth(clients, url) == 0


def test_a_message_whose_records_the_stream_no_longer_holds_is_kept_with_what_to_do(on_aws):
    settings, container, clients = on_aws
    e = stored_employee(container)
    container.records.delete_employee("CA", e.id, "alice")
    url = clients.get("sqs").create_queue(QueueName="humangov-ca-erasure-failures")["QueueUrl"]
    clients.get("sqs").send_message(QueueUrl=url, MessageBody=on_failure_message(
        clients, stream_records(clients, TABLE)))
    # moto trims no record by age; a deleted table's stream answers as a trimmed one would,
    # with the records not there (ResourceNotFoundException; on AWS TrimmedDataAccessException)
    clients.dynamodb.delete_table(TableName=TABLE)

    result = import_queue(settings, url)

    assert result.exit_code == 1
    [outcome] = orjson.loads(result.stdout)["outcomes"]
    assert outcome["kept"] and "no longer holds" in outcome["note"]
    assert "humangov orphans scan --state CA" in outcome["note"]
    assert queue_depth(clients, url) == 1
    assert container.outbox.dead_letters("CA") == []
