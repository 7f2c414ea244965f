"""`/readyz` with no state provisioned says it checked no state's store, not plain "ok"."""

from __future__ import annotations

from fastapi.testclient import TestClient

from humangov.bootstrap import bootstrap
from humangov.web.app import create_app


def test_readyz_with_no_states_says_no_store_was_checked(aws_local):
    container = bootstrap(aws_local.settings)
    with TestClient(create_app(container)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {
            "database": "ok",
            "documents": "ok: no states provisioned, so no state's document store was checked"}
        container.personnel.add_state("CA")
        assert client.get("/readyz").json()["checks"]["documents"] == "ok"
