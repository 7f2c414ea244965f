"""The sweep sees every object version of a state's bucket: a "deleted" file whose data
version remains under a delete marker is reported (an orphan unless a live record holds it,
then that record dangles) and purged with every version; noncurrent versions under a live,
referenced key are not reported; a bucket without versioning sweeps as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from humangov.adapters.aws.naming import Naming
from humangov.adapters.aws.provision import ensure_bucket, tag_bucket
from humangov.adapters.blobs.s3 import S3BlobStore
from humangov.adapters.clock import SystemClock
from humangov.adapters.erasure.memory import MemoryLedger
from humangov.adapters.records.memory import MemoryRecordStore
from humangov.erasure.sweep import purge, scan
from tests.contract.test_record_store import added, employee, state_for

BUCKET = "humangov-ca-documents"


@pytest.fixture
def store(aws) -> S3BlobStore:
    naming = Naming.from_settings(aws.settings)
    ensure_bucket(aws.clients, naming.bucket("CA"), state="CA")
    return S3BlobStore(aws.clients, naming)


def sweep(store, records):
    return scan("CA", blobs=store, records=records,
                now=datetime.now(UTC) + timedelta(seconds=5), grace=timedelta(0))


def versions(store, key: str) -> list[str]:
    got = store.clients.s3.list_object_versions(Bucket=BUCKET, Prefix=key)
    return sorted(v["VersionId"] for v in got.get("Versions", []) + got.get("DeleteMarkers", [])
                  if v["Key"] == key)


def referencing(key_owner) -> MemoryRecordStore:
    records = MemoryRecordStore()
    records.add_state(state_for("CA"))
    records.add_employee(key_owner, added(key_owner))
    return records


def test_a_file_deleted_behind_a_marker_is_an_orphan_and_purge_erases_every_version(store):
    # GIVEN a stored file "deleted" without a version id: its data stays under a delete marker
    key = employee().document.key
    store.put("CA", key, [b"%PDF-1 kept"])
    store.put("CA", key, [b"%PDF-2 kept"])
    store.clients.s3.delete_object(Bucket=BUCKET, Key=key)
    hidden = versions(store, key)
    assert len(hidden) == 3 and store.stat("CA", key) is None
    # WHEN the state is swept, no record referencing it
    records = MemoryRecordStore()
    result = sweep(store, records)
    # THEN it is reported by its key, with the size of its newest data version, and counted
    assert [(f.key, f.size) for f in result.foreign] == [(key, len(b"%PDF-2 kept"))]
    assert result.orphan_count == 1 and result.dangling == []
    assert result.scanned_files == 1
    # AND a purge erases every version and the marker, its receipt listing them
    ledger = MemoryLedger()
    assert purge(result, blobs=store, records=records, ledger=ledger, clock=SystemClock()) == 1
    assert versions(store, key) == []
    [receipt] = ledger.receipts("CA", limit=10, cursor=None)[0]
    assert (receipt.key, receipt.result, sorted(receipt.versions)) == (key, "erased", hidden)


def test_a_record_whose_file_is_behind_a_marker_dangles_and_its_data_is_never_purged(store):
    # GIVEN a live record whose file was "deleted" behind a marker
    owner = employee()
    key = owner.document.key
    store.put("CA", key, [b"%PDF-held"])
    store.clients.s3.delete_object(Bucket=BUCKET, Key=key)
    records = referencing(owner)
    # WHEN swept
    result = sweep(store, records)
    # THEN the record dangles (its file is unreadable) and nothing is an orphan
    assert [(d.employee_id, d.key) for d in result.dangling] == [(owner.id, key)]
    assert result.orphans == [] and result.foreign == []
    # AND a purge leaves its versions alone
    ledger = MemoryLedger()
    assert purge(result, blobs=store, records=records, ledger=ledger, clock=SystemClock()) == 0
    assert len(versions(store, key)) == 2


def test_noncurrent_versions_under_a_live_referenced_key_are_not_reported(store):
    owner = employee()
    store.put("CA", owner.document.key, [b"%PDF-old"])
    store.put("CA", owner.document.key, [b"%PDF-new"])
    result = sweep(store, referencing(owner))
    assert (result.orphans, result.foreign, result.dangling) == ([], [], [])
    assert result.scanned_files == 1


def test_an_unusual_key_left_only_behind_a_marker_is_reported_and_purged_by_its_raw_key(store):
    s3 = store.clients.s3
    s3.put_object(Bucket=BUCKET, Key="scans//x.pdf", Body=b"%PDF-legacy")
    s3.delete_object(Bucket=BUCKET, Key="scans//x.pdf")
    records = MemoryRecordStore()
    result = sweep(store, records)
    assert [f.key for f in result.foreign] == ["scans//x.pdf"]
    ledger = MemoryLedger()
    assert purge(result, blobs=store, records=records, ledger=ledger, clock=SystemClock()) == 1
    assert versions(store, "scans//x.pdf") == []


def test_a_bucket_without_versioning_sweeps_its_objects(aws_local):
    # GIVEN an existing, unversioned bucket adopted as CA's (ListObjectVersions: VersionId null)
    s3 = aws_local.clients.s3
    s3.create_bucket(Bucket=BUCKET)
    tag_bucket(aws_local.clients, BUCKET, "CA")
    store = S3BlobStore(aws_local.clients, Naming.from_settings(aws_local.settings))
    owner, orphan = employee(), employee().document.key
    store.put("CA", owner.document.key, [b"%PDF-held"])
    store.put("CA", orphan, [b"%PDF-orphan"])
    records = referencing(owner)
    # WHEN swept and purged
    result = sweep(store, records)
    assert [o.key for o in result.orphans] == [orphan]
    assert (result.foreign, result.dangling, result.scanned_files) == ([], [], 2)
    ledger = MemoryLedger()
    assert purge(result, blobs=store, records=records, ledger=ledger, clock=SystemClock()) == 1
    # THEN only the orphan is gone, its receipt naming the one "null" version
    assert [r.versions for r in ledger.receipts("CA", limit=10, cursor=None)[0]] == [("null",)]
    assert store.exists("CA", owner.document.key) and not store.exists("CA", orphan)
