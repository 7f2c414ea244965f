"""Legal holds on AWS (moto): held items in the platform table, S3 Object Lock legal holds set
and lifted with the hold, the stream handler keeping a held erasure as `held` (no dead
letter, no alarm), and S3's refusal under a legal hold reported as held."""

from __future__ import annotations

import io

import pytest

from humangov.aws import stream_cleanup
from humangov.bootstrap import lambda_runtime
from humangov.domain.auth import Principal
from humangov.domain.errors import ErasureHeld
from tests.aws.conftest import stored_employee
from tests.aws.test_lambda_dead_letters import BUCKET, removal_event

COUNSEL = Principal("user:counsel@ca.gov", "state-admin", "CA")


@pytest.fixture
def on_aws(app_on_aws, aws_local):
    settings, container = app_on_aws
    clients = aws_local.clients
    clients.s3.put_object_lock_configuration(  # S3 allows it on an empty versioned bucket
        Bucket=BUCKET, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    return settings, container, clients


def legal_hold(clients, key: str) -> list[str]:
    versions = clients.s3.list_object_versions(Bucket=BUCKET, Prefix=key).get("Versions", [])
    return [clients.s3.get_object_legal_hold(Bucket=BUCKET, Key=key, VersionId=v["VersionId"])
            ["LegalHold"]["Status"] for v in versions]


def test_a_hold_sets_object_lock_legal_holds_and_the_stream_erasure_waits_for_its_release(
        on_aws, capsys):
    settings, container, clients = on_aws
    held, free = stored_employee(container), stored_employee(container)
    hold = container.holds.place(COUNSEL, "CA", "Doe v. California", [held.id])
    assert legal_hold(clients, held.document.key) == ["ON"]
    assert container.holds.held("CA", held.id) == hold  # read back from the platform table
    container.records.delete_employee("CA", held.id, "alice")
    container.records.delete_employee("CA", free.id, "alice")
    runtime = lambda_runtime(settings, clients)
    event = removal_event(clients)

    # WHEN the erasure Lambda handles the REMOVEs, and a redelivery of them
    for _ in range(2):
        assert stream_cleanup.handler(event, runtime=runtime) == {"batchItemFailures": []}

    # THEN the free one is erased; the held one is kept, held once, neither failed nor alarmed
    assert legal_hold(clients, held.document.key) == ["ON"]
    assert legal_hold(clients, free.document.key) == []
    [waiting] = container.erasures.held("CA")
    assert waiting.change.employee_id == held.id and hold.id in waiting.last_error
    assert container.erasures.dead_letters("CA") == []
    assert "ErasureDeadLetters" not in capsys.readouterr().out

    # WHEN the hold is released THEN S3's hold is lifted and the worker erases it, receipted
    container.holds.release(COUNSEL, "CA", hold.id)
    assert legal_hold(clients, held.document.key) == ["OFF"]
    container.erasures.worker("serve@test").drain()
    assert legal_hold(clients, held.document.key) == []
    assert container.erasures.held("CA") == []
    receipts, _ = container.erasures.receipts("CA", limit=5)
    assert {(r.key, r.reason, r.result) for r in receipts} == {
        (held.document.key, "record-deleted", "erased"),
        (free.document.key, "record-deleted", "erased")}


def test_an_s3_legal_hold_placed_outside_humangov_is_reported_as_held_not_failed(on_aws):
    settings, container, clients = on_aws
    e = stored_employee(container)
    [version] = clients.s3.list_object_versions(Bucket=BUCKET, Prefix=e.document.key)["Versions"]
    clients.s3.put_object_legal_hold(Bucket=BUCKET, Key=e.document.key,
                                     VersionId=version["VersionId"], LegalHold={"Status": "ON"})
    container.records.delete_employee("CA", e.id, "alice")

    assert stream_cleanup.handler(removal_event(clients), runtime=lambda_runtime(
        settings, clients)) == {"batchItemFailures": []}

    [waiting] = container.erasures.held("CA")
    assert "legal hold" in waiting.last_error and container.erasures.dead_letters("CA") == []
    # Lifted in S3 directly: `erasure retry` asks again, and it is erased
    clients.s3.put_object_legal_hold(Bucket=BUCKET, Key=e.document.key,
                                     VersionId=version["VersionId"], LegalHold={"Status": "OFF"})
    assert container.erasures.retry(waiting.id, "CA") == 1
    container.erasures.worker("serve@test").drain()
    [receipt], _ = container.erasures.receipts("CA", limit=5)
    assert (receipt.key, receipt.result) == (e.document.key, "erased")


def test_holds_in_the_platform_table_do_not_look_like_employees(on_aws):
    _, container, clients = on_aws
    hold = container.holds.place(COUNSEL, "CA", "Audit")
    [item] = clients.dynamodb.query(
        TableName=container.settings.aws_platform_table, KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "HOLD"}})["Items"]
    assert item["sk"] == {"S": hold.id} and "kind" not in item


def _two_versions_the_older_held(container, clients) -> tuple[str, str, str]:
    e = stored_employee(container)
    key = e.document.key
    container.blobs.put("CA", key, io.BytesIO(b"%PDF-1.4 replaced"))
    newer, older = (v["VersionId"] for v in
                    clients.s3.list_object_versions(Bucket=BUCKET, Prefix=key)["Versions"])
    clients.s3.put_object_legal_hold(Bucket=BUCKET, Key=key, VersionId=older,
                                     LegalHold={"Status": "ON"})
    return key, newer, older


def _hold_lookups(container) -> list[str]:
    """The versions GetObjectLegalHold is asked about, as the store calls it."""
    asked: list[str] = []
    container.blobs.clients.s3.meta.events.register(
        "before-call.s3.GetObjectLegalHold",
        lambda params, **_: asked.append(params["query_string"]["versionId"]))
    return asked


def test_only_the_versions_s3_refused_are_asked_about_their_legal_hold(on_aws):
    _, container, clients = on_aws
    key, newer, older = _two_versions_the_older_held(container, clients)
    asked = _hold_lookups(container)

    # S3 names the refused version in each DeleteObjects error; moto does not, so the
    # test adds it the way S3 answers (the one version refused is the held one).
    def as_s3_answers(parsed, **_):
        for error in parsed.get("Errors", []):
            error.setdefault("VersionId", older)
    container.blobs.clients.s3.meta.events.register("after-call.s3.DeleteObjects",
                                                    as_s3_answers)

    with pytest.raises(ErasureHeld):
        container.blobs.delete("CA", key)

    assert asked == [older]  # not the newer version, erased a moment before
    assert [v["VersionId"] for v in clients.s3.list_object_versions(
        Bucket=BUCKET, Prefix=key)["Versions"]] == [older]


def test_without_version_ids_in_the_errors_every_version_is_asked(on_aws):
    _, container, clients = on_aws
    key, newer, older = _two_versions_the_older_held(container, clients)
    asked = _hold_lookups(container)

    with pytest.raises(ErasureHeld):  # moto's errors name no version
        container.blobs.delete("CA", key)

    assert asked == [newer, older]
