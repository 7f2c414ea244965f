"""`/readyz` on the AWS backend makes only calls the app's role is granted (the IAM agreement
test maps each to its actions), and names a state whose bucket is missing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from humangov.web.app import create_app
from tests.infra.test_runtime_agreement import ACTIONS


def recorded(clients) -> list[str]:
    calls: list[str] = []
    for service, client in (("s3", clients.s3), ("dynamodb", clients.dynamodb)):
        client.meta.events.register(
            "before-call", lambda model, service=service, **_: calls.append(
                f"{service}.{model.name}"))
    return calls


def test_readyz_uses_only_granted_calls_and_names_a_missing_bucket(app_on_aws):
    _, container = app_on_aws
    calls = recorded(container.blobs.clients)
    with TestClient(create_app(container)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert calls and set(calls) <= set(ACTIONS), sorted(set(calls) - set(ACTIONS))
        assert "s3.ListBuckets" not in calls
        # GIVEN CA's bucket gone (a fresh store: nothing cached)
        s3 = container.blobs.clients.s3
        bucket = container.blobs.naming.bucket("CA")
        for v in s3.list_object_versions(Bucket=bucket).get("Versions", []):
            s3.delete_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])
        s3.delete_bucket(Bucket=bucket)
        container.blobs._verified.clear()
        down = client.get("/readyz")
    assert down.status_code == 503
    assert f"The bucket {bucket} of CA does not exist" in down.json()["checks"]["documents"]
