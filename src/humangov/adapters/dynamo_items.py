"""Shared by the DynamoDB adapters: typed-item conversion and error translation."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from humangov.domain.errors import StorageUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_ser = TypeSerializer()
_de = TypeDeserializer()


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """Plain values -> DynamoDB typed attributes, dropping None (absent, so sparse GSIs work)."""
    return {k: _ser.serialize(v) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _de.deserialize(v) for k, v in item.items()}


def code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def unavailable(what: str) -> StorageUnavailable:
    return StorageUnavailable(
        f"{what} on AWS is unavailable. Retry in a moment; if it persists, check the AWS "
        "region, credentials and endpoint (AWS_ENDPOINT_URL) and that the tables exist."
    )


@contextmanager
def translating(what: str) -> Iterator[None]:
    """Turn boto errors that reach us into StorageUnavailable (botocore already retried)."""
    try:
        yield
    except ClientError as exc:
        raise unavailable(what) from exc
    except BotoCoreError as exc:
        raise unavailable(what) from exc


def query_all(client: DynamoDBClient, **kwargs: Any) -> Iterator[dict[str, dict]]:
    """Every item of a Query or Scan, page by page (constant memory)."""
    op = kwargs.pop("_op", "query")
    paginator = client.get_paginator(op)
    for page in paginator.paginate(**kwargs):
        yield from page.get("Items", [])
