"""The BlobStore contract: every adapter passes the same tests."""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from humangov.adapters.blobs.filesystem import MARKER
from humangov.domain.errors import DocumentTooLarge, InvalidInput, NotFound, StorageUnavailable
from humangov.domain.model import DocumentRef
from humangov.ports import BlobStore


def key() -> str:
    return DocumentRef.key_for(str(uuid.uuid4()), str(uuid.uuid4()))


def body(n: int) -> bytes:
    return os.urandom(n)


def read(store, state, k) -> bytes:
    return b"".join(store.open(state, k))


def leftovers(store) -> list[str]:
    """Files an adapter left on disk, temporary ones included, but not the states' identity
    markers (filesystem adapter only)."""
    root = getattr(store, "root", None)
    if root is None:
        return []
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files if f != MARKER]


@pytest.fixture
def provision(blob_store) -> Callable[[str], None]:
    """Gives a state its space as provisioning does (the factories provision CA and TX). A
    suite whose store cannot provision itself (S3: a state's bucket is created and tagged
    with its stack) overrides this fixture."""
    return blob_store.provision_state


def test_a_stored_document_reads_back_with_its_size_and_sha256(blob_store):
    data = body(600 * 1024)  # several chunks
    k = key()
    stored = blob_store.put("CA", k, io.BytesIO(data))
    assert (stored.size, stored.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert read(blob_store, "CA", k) == data
    assert blob_store.exists("CA", k)
    info = blob_store.stat("CA", k)
    assert (info.key, info.size) == (k, len(data))
    assert abs(info.last_modified - datetime.now(UTC)) < timedelta(minutes=1)


def test_put_accepts_an_iterable_of_chunks_and_overwrites(blob_store):
    k = key()
    blob_store.put("CA", k, [b"old"])
    stored = blob_store.put("CA", k, iter([b"%PDF-", b"new"]))
    assert stored.size == 8
    assert read(blob_store, "CA", k) == b"%PDF-new"


def test_a_document_over_the_limit_is_refused_and_leaves_nothing(blob_store):
    k = key()
    with pytest.raises(DocumentTooLarge):
        blob_store.put("CA", k, [b"x" * 1000, b"y" * 1000], max_size=1500)
    assert not blob_store.exists("CA", k)
    assert list(blob_store.list("CA")) == []
    assert leftovers(blob_store) == []


def test_a_failing_upload_stream_leaves_nothing(blob_store):
    def chunks():
        yield b"%PDF-partial"
        raise DocumentTooLarge("the reader gave up")

    k = key()
    with pytest.raises(DocumentTooLarge):
        blob_store.put("CA", k, chunks())
    assert not blob_store.exists("CA", k)
    assert leftovers(blob_store) == []


def test_a_failed_overwrite_keeps_the_previous_document(blob_store):
    k = key()
    blob_store.put("CA", k, [b"first"])

    def chunks():
        yield b"sec"
        raise OSError("connection reset")

    with pytest.raises(OSError):
        blob_store.put("CA", k, chunks())
    assert read(blob_store, "CA", k) == b"first"


def test_opening_a_missing_document_is_not_found(blob_store):
    with pytest.raises(NotFound):
        blob_store.open("CA", key())
    assert blob_store.stat("CA", key()) is None
    assert not blob_store.exists("CA", key())


def test_delete_is_idempotent(blob_store):
    k = key()
    blob_store.put("CA", k, [b"data"])
    assert blob_store.delete("CA", k).existed is True
    assert blob_store.delete("CA", k).existed is False
    assert not blob_store.exists("CA", k)
    assert leftovers(blob_store) == []


def test_listing_is_in_key_order_and_resumes_after_a_key(blob_store):
    keys = [key() for _ in range(20)] + ["ab-c", "ab/c", "ab/d/e", "ab0", "ab.x", "abc",
                                      "ab%2F", "ab%/x", "ab%25"]
    for k in keys:
        blob_store.put("CA", k, [k.encode()])
    listed = [b.key for b in blob_store.list("CA")]
    assert listed == sorted(keys)
    assert [b.size for b in blob_store.list("CA")] == [len(k) for k in sorted(keys)]
    ordered = sorted(keys)
    for i in (0, 5, 20, len(ordered) - 1):
        assert [b.key for b in blob_store.list("CA", after=ordered[i])] == ordered[i + 1:]
    for after in ("ab/", "ab%", "ab", "a", "ab/c/"):
        listed = [b.key for b in blob_store.list("CA", after=after)]
        assert listed == [k for k in ordered if k > after]
    assert [b.key for b in blob_store.list("CA", after="0")] == ordered
    assert list(blob_store.list("CA", after="~")) == []
    # the sweep's cheaper listing: the same keys, in the same order
    assert list(blob_store.list_keys("CA")) == ordered
    assert list(blob_store.list_keys("TX")) == []


def test_documents_of_one_state_are_invisible_from_another(blob_store):
    k = key()
    blob_store.put("CA", k, [b"california"])
    assert not blob_store.exists("TX", k)
    assert blob_store.stat("TX", k) is None
    with pytest.raises(NotFound):
        blob_store.open("TX", k)
    assert list(blob_store.list("TX")) == []
    assert blob_store.delete("TX", k).existed is False
    assert read(blob_store, "CA", k) == b"california"


@pytest.mark.parametrize("bad", ["../CA/x.pdf", "/etc/passwd", "ab/../../x", "ab\\x.pdf", "ab//x",
                                 "", "a/x.pdf", "ab/.hidden", "ab/x\x00.pdf", "ab" * 101])
def test_keys_that_could_escape_or_confuse_the_layout_are_refused(blob_store, bad):
    with pytest.raises(InvalidInput):
        blob_store.put("CA", bad, [b"x"])
    with pytest.raises(InvalidInput):
        blob_store.open("CA", bad)
    with pytest.raises(InvalidInput):
        blob_store.delete("CA", bad)
    assert leftovers(blob_store) == []


@pytest.mark.parametrize("bad", ["..", "ca", "C/A", ""])
def test_a_state_that_is_not_a_code_is_refused(blob_store, bad):
    with pytest.raises(InvalidInput):
        blob_store.put(bad, key(), [b"x"])
    with pytest.raises(InvalidInput):
        list(blob_store.list(bad))


def test_a_provisioned_space_answers_that_a_key_is_absent(blob_store, provision):
    assert blob_store.verify_space("CA") is None
    assert blob_store.delete("CA", key()).existed is False
    # provisioning again keeps what the space holds
    k = key()
    blob_store.put("CA", k, [b"kept"])
    provision("CA")
    assert read(blob_store, "CA", k) == b"kept"


def _assert_no_space(blob_store, state):
    """Nothing may be answered from a space that is not there: not 'absent', not 'empty'."""
    with pytest.raises(StorageUnavailable, match=state):
        blob_store.verify_space(state)
    with pytest.raises(StorageUnavailable):
        blob_store.delete(state, key())
    with pytest.raises(StorageUnavailable):
        blob_store.put(state, key(), [b"x"])
    with pytest.raises(StorageUnavailable):
        list(blob_store.list_key_chunks(state))
    with pytest.raises(StorageUnavailable):
        list(blob_store.list(state))


def test_a_state_never_provisioned_has_no_space_and_no_absent_keys(blob_store):
    _assert_no_space(blob_store, "NV")


def test_a_dropped_space_answers_nothing_until_provisioned_again(blob_store, provision):
    k = key()
    blob_store.put("CA", k, [b"x"])
    blob_store.delete("CA", k)
    blob_store.drop_state("CA")
    blob_store.drop_state("CA")  # dropping is idempotent
    _assert_no_space(blob_store, "CA")
    assert leftovers(blob_store) == []
    provision("CA")
    assert blob_store.delete("CA", k).existed is False


def test_the_adapter_implements_the_port_and_pings(blob_store):
    assert isinstance(blob_store, BlobStore)
    assert blob_store.ping() is None


def test_key_chunks_hold_every_key_once_with_each_chunk_after_the_one_before(blob_store):
    # GIVEN keys spread over several leading characters, with characters the filesystem encodes
    keys = [f"{p}{i:02d}/{s}.pdf"
            for p in ("ab", "cd", "zz") for i in range(4) for s in ("x", "%y")]
    for k in keys:
        blob_store.put("CA", k, [b"x"])
    blob_store.put("TX", key(), [b"elsewhere"])
    # WHEN listed in chunks
    chunks = [c for c in blob_store.list_key_chunks("CA") if c]
    # THEN together they are exactly the keys, and chunks come in key order
    assert sorted(k for c in chunks for k in c) == sorted(keys)
    assert all(max(a) < min(b) for a, b in itertools.pairwise(chunks))


@pytest.mark.parametrize("start, stop", [
    (None, "cd"), ("cd", None), ("cd", "zz"),  # fan-out names, as the parallel sweep splits
    ("ab02/x.pdf", "cd01/%y.pdf"), ("ab02/x.pdf", None), (None, "zz03"), ("c", "d"),  # anywhere
    ("zz", "ab"),  # an empty range
])
def test_key_chunks_within_bounds_hold_exactly_the_keys_from_start_up_to_stop(
    blob_store, start, stop
):
    # GIVEN keys spread over several leading characters, with characters the filesystem encodes
    keys = [f"{p}{i:02d}/{s}.pdf"
            for p in ("ab", "cd", "zz") for i in range(4) for s in ("x", "%y")]
    for k in keys:
        blob_store.put("CA", k, [b"x"])
    # WHEN listed in chunks between bounds
    chunks = [c for c in blob_store.list_key_chunks("CA", start=start, stop=stop) if c]
    # THEN they hold the keys with start <= key < stop, still chunk after chunk in key order
    inside = [k for k in keys if (start is None or k >= start) and (stop is None or k < stop)]
    assert sorted(k for c in chunks for k in c) == sorted(inside)
    assert all(max(a) < min(b) for a, b in itertools.pairwise(chunks))
