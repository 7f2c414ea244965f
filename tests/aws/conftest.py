"""AWS fixtures: moto in-process (`mock_aws`) and a real moto_server on 127.0.0.1.

`aws` is parametrised over both, so a test taking it runs against each. Every test starts
from empty AWS state: a fresh `mock_aws` context, or a reset of the server.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest

os.environ.setdefault("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")  # moto's streams need it

from humangov.adapters.aws.clients import AwsClients
from humangov.config import Settings


@dataclass
class Aws:
    mode: str  # "inprocess" or "server"
    settings: Settings
    clients: AwsClients
    endpoint: str | None = None


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _credentials(monkeypatch) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)


def aws_settings(tmp_path, **overrides) -> Settings:
    return Settings(environment="test", backend="aws", data_dir=tmp_path / "var", monitoring=False,
                    max_document_bytes=64 * 1024, **overrides)


@contextmanager
def inprocess(monkeypatch, tmp_path) -> Iterator[Aws]:
    from moto import mock_aws

    _credentials(monkeypatch)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        settings = aws_settings(tmp_path)
        yield Aws("inprocess", settings, AwsClients(settings))


@contextmanager
def on_server(monkeypatch, tmp_path, endpoint: str) -> Iterator[Aws]:
    _credentials(monkeypatch)
    httpx.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    settings = aws_settings(tmp_path)
    yield Aws("server", settings, AwsClients(settings), endpoint)


@pytest.fixture(params=["inprocess", "server"])
def aws(request, monkeypatch, tmp_path) -> Iterator[Aws]:
    if request.param == "inprocess":
        with inprocess(monkeypatch, tmp_path) as env:
            yield env
    else:
        with on_server(monkeypatch, tmp_path, request.getfixturevalue("moto_server")) as env:
            yield env


@pytest.fixture
def aws_local(monkeypatch, tmp_path) -> Iterator[Aws]:
    """In-process moto only: for tests about our logic rather than the wire."""
    with inprocess(monkeypatch, tmp_path) as env:
        yield env


@pytest.fixture
def aws_server(monkeypatch, tmp_path, moto_server) -> Iterator[Aws]:
    with on_server(monkeypatch, tmp_path, moto_server) as env:
        yield env


@pytest.fixture
def app_on_aws(aws_local):
    """CA provisioned on in-process moto, with erasure retried quickly and 3 times at most."""
    from humangov.bootstrap import bootstrap

    settings = aws_local.settings.model_copy(update={
        "erasure_max_attempts": 3, "erasure_base_backoff_seconds": 0.001})
    container = bootstrap(settings)
    container.personnel.add_state("CA")
    return settings, container


def stored_employee(container, pdf=b"%PDF-1.4 test"):
    from tests.contract.test_record_store import added, employee

    e = employee()
    container.blobs.put("CA", e.document.key, io.BytesIO(pdf))
    container.records.add_employee(e, added(e))
    return e
