"""The one factory for boto3 clients.

Endpoint and credentials come from boto3's standard chain, so `AWS_ENDPOINT_URL` points every
client at moto_server in local development mode and nothing in our code knows the difference.
Retries use botocore's standard mode, which retries throttling and 5xx with backoff:
https://boto3.amazonaws.com/v1/documentation/api/latest/guide/retries.html
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from humangov.config import Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sns import SNSClient

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30
MAX_ATTEMPTS = 5


def region_for(settings: Settings) -> str:
    """HUMANGOV_AWS_REGION when set, else the runtime's region (Lambda sets AWS_REGION)."""
    if "aws_region" in settings.model_fields_set:
        return settings.aws_region
    return (
        os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or settings.aws_region
    )


_session_lock = threading.Lock()
_session: boto3.session.Session | None = None


def _shared_session() -> boto3.session.Session:
    """One session per process: it caches the service models, which take ~0.5 s to load.
    Sessions are not thread-safe, so clients are created under a lock."""
    global _session
    if _session is None:
        _session = boto3.session.Session()
    return _session


class AwsClients:
    """Lazily built, shared clients (boto3 clients are thread-safe; sessions are not)."""

    def __init__(self, settings: Settings) -> None:
        self.region = region_for(settings)
        self._config = Config(
            region_name=self.region,
            retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
            max_pool_connections=32,
        )
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}

    def get(self, service: str) -> Any:
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                with _session_lock:
                    # The stubs type client() once per literal service name; this cache takes
                    # any name, and the properties below give each service we use its type.
                    client = _shared_session().client(  # type: ignore[call-overload]
                        service, config=self._config
                    )
                self._clients[service] = client
            return client

    @property
    def dynamodb(self) -> DynamoDBClient:
        return self.get("dynamodb")

    @property
    def s3(self) -> S3Client:
        return self.get("s3")

    @property
    def streams(self) -> DynamoDBStreamsClient:
        return self.get("dynamodbstreams")

    @property
    def sns(self) -> SNSClient:
        return self.get("sns")

    @property
    def secretsmanager(self) -> SecretsManagerClient:
        return self.get("secretsmanager")
