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
        ensure_bucket(aws.clients, naming.bucket(state), state=state)
    return S3BlobStore(aws.clients, naming)


@pytest.fixture
def provision(aws, blob_store):
    """On AWS a state's bucket is created and tagged by provisioning, not by the store."""
    return lambda state: ensure_bucket(aws.clients, blob_store.naming.bucket(state), state=state)


UNUSUAL = ["scans//x.pdf", "J/john.pdf", ".DS_Store", "/leading.pdf", "ab/" + "x" * 211]


def test_unusual_object_keys_are_reported_by_key_and_erased_never_aborting_a_scan(blob_store):
    from datetime import UTC, datetime, timedelta

    from humangov.adapters.clock import SystemClock
    from humangov.adapters.erasure.memory import MemoryLedger
    from humangov.adapters.records.memory import MemoryRecordStore
    from humangov.erasure.sweep import purge, scan

    # GIVEN a bucket holding a HumanGov orphan and objects under keys HumanGov never writes
    bucket = blob_store.naming.bucket("CA")
    blob_store.put("CA", "ab/orphan.pdf", [b"%PDF-orphan"])
    for key in UNUSUAL:
        blob_store.clients.s3.put_object(Bucket=bucket, Key=key, Body=b"%PDF-legacy")
    assert len(UNUSUAL[-1]) == 214
    # WHEN the state is scanned
    records = MemoryRecordStore()
    result = scan("CA", blobs=blob_store, records=records,
                  now=datetime.now(UTC) + timedelta(seconds=5), grace=timedelta(0))
    # THEN the orphan is reported by key, the unusual objects as foreign by their raw key,
    # and every object is counted
    assert [o.key for o in result.orphans] == ["ab/orphan.pdf"]
    assert [f.key for f in result.foreign] == sorted(UNUSUAL)
    assert result.scanned_files == len(UNUSUAL) + 1
    # AND a purge erases them all, each with a receipt naming its key
    ledger = MemoryLedger()
    assert purge(result, blobs=blob_store, records=records, ledger=ledger,
                 clock=SystemClock()) == len(UNUSUAL) + 1
    assert blob_store.clients.s3.list_objects_v2(Bucket=bucket).get("Contents", []) == []
    receipts = ledger.receipts("CA", limit=10, cursor=None)[0]
    assert sorted(r.key for r in receipts) == sorted([*UNUSUAL, "ab/orphan.pdf"])


def test_a_missing_bucket_is_a_failure_never_already_absent(blob_store):
    from datetime import UTC, datetime

    from humangov.adapters.clock import SystemClock
    from humangov.adapters.erasure.memory import MemoryLedger
    from humangov.domain.erasure import new_change
    from humangov.domain.errors import StorageUnavailable
    from humangov.erasure.erase import erase

    # GIVEN CA's bucket gone (deleted, or the state pointed at a wrong name)
    bucket = blob_store.naming.bucket("CA")
    blob_store.clients.s3.delete_bucket(Bucket=bucket)
    ledger = MemoryLedger()
    change = new_change("CA", "e1", "record-deleted", None, None, "admin@ca", datetime.now(UTC))
    # WHEN a document of CA is erased
    # THEN it fails, naming the bucket (to be retried), and no receipt says "already absent"
    with pytest.raises(StorageUnavailable, match=f"The bucket {bucket} of CA does not exist"):
        erase("CA", ["ab/gone.pdf"], change, blobs=blob_store, is_referenced=lambda s, k: False,
              ledger=ledger, clock=SystemClock())
    assert ledger.receipts("CA", limit=10, cursor=None)[0] == []
