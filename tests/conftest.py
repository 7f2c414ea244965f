"""Fixtures shared by the API, web and end-to-end tests: a real SQLite file and a real
document folder in tmp_path, the real app, and one caller per role."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
os.environ.setdefault("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

# A minimal, valid one-page PDF.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture
def pdf_bytes() -> bytes:
    return PDF


@pytest.fixture
def settings(tmp_path):
    from humangov.config import Settings

    return Settings(environment="test", data_dir=tmp_path / "var", monitoring=False,
                    max_document_bytes=64 * 1024)


@pytest.fixture
def container(settings):
    from humangov.bootstrap import bootstrap

    c = bootstrap(settings)
    for code in ("CA", "TX"):
        c.personnel.add_state(code)
    yield c
    c.close()


@dataclass
class Callers:
    admin: dict
    ca_editor: dict
    ca_viewer: dict
    tx_editor: dict
    nobody: dict
    ca_state_admin: dict


@pytest.fixture
def callers(container) -> Callers:
    def bearer(role, state=None):
        token, _ = container.accounts.create_token(role, state)
        return {"Authorization": f"Bearer {token}"}

    return Callers(bearer("admin"), bearer("editor", "CA"), bearer("viewer", "CA"),
                   bearer("editor", "TX"), {}, bearer("state-admin", "CA"))


@pytest.fixture
def client(container):
    from fastapi.testclient import TestClient

    from humangov.web.app import create_app

    with TestClient(create_app(container), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def add_employee(client, callers):
    def add(state="CA", headers=None, **fields):
        data = {"first_name": "Ada", "last_name": "Lovelace", "role": "Analyst", "salary": "85000"}
        data.update(fields)
        r = client.post(f"/api/v1/states/{state}/employees", data=data,
                        files={"document": ("id.pdf", PDF, "application/pdf")},
                        headers=headers or callers.ca_editor)
        assert r.status_code == 201, r.text
        return r.json()

    return add
