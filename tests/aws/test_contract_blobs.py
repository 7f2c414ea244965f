"""The BlobStore contract suite, run against the S3 adapter (moto in-process and moto_server)."""

from __future__ import annotations

import pytest

from humangov.adapters.aws.naming import Naming
from humangov.adapters.aws.provision import ensure_bucket
from humangov.adapters.blobs.s3 import S3BlobStore
from tests.contract.test_blob_store import *


@pytest.fixture
def blob_store(aws) -> S3BlobStore:
    naming = Naming.from_settings(aws.settings)
    for state in ("CA", "TX"):
        ensure_bucket(aws.clients, naming.bucket(state))
    return S3BlobStore(aws.clients, naming)
