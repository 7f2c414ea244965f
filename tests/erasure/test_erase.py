import pytest

from humangov.adapters.blobs.memory import MemoryBlobStore
from humangov.adapters.erasure.memory import MemoryLedger
from humangov.domain.erasure import DocumentChange
from humangov.erasure.erase import erase
from humangov.erasure.plan import plan

from .conftest import T0, FakeClock, make_employee


def _change(emp, change_id="c1", reason="record-deleted"):
    return DocumentChange(change_id, emp.state, emp.id, reason, emp.document, None, "admin@x", T0)


def _erase(change, blobs, ledger, referenced=frozenset()):
    return erase(change.state, plan(change), change, blobs=blobs,
                 is_referenced=lambda s, k: k in referenced, ledger=ledger, clock=FakeClock())


def test_erasing_a_deleted_records_document_removes_the_file_and_writes_a_receipt():
    # GIVEN a stored document whose record was deleted
    blobs, ledger = provisioned_blobs(), MemoryLedger()
    emp = make_employee(blobs=blobs)
    # WHEN it is erased
    receipts = _erase(_change(emp), blobs, ledger)
    # THEN the file is gone and one receipt holds its key and hash, no content
    assert not blobs.exists("CA", emp.document.key)
    assert [(r.key, r.result, r.sha256, r.size, r.reason) for r in receipts] == [
        (emp.document.key, "erased", emp.document.sha256, emp.document.size, "record-deleted")]
    assert ledger.receipts("CA", limit=10, cursor=None)[0] == receipts


def test_a_redelivered_change_writes_no_second_receipt():
    blobs, ledger = provisioned_blobs(), MemoryLedger()
    emp = make_employee(blobs=blobs)
    _erase(_change(emp), blobs, ledger)
    assert _erase(_change(emp), blobs, ledger) == []
    assert len(ledger.receipts("CA", limit=10, cursor=None)[0]) == 1


def test_a_file_already_gone_is_a_success_recorded_as_already_absent():
    blobs, ledger = provisioned_blobs(), MemoryLedger()
    emp = make_employee(blobs=None)
    [receipt] = _erase(_change(emp), blobs, ledger)
    assert receipt.result == "already-absent"


def test_a_key_a_live_record_still_references_is_never_erased(caplog):
    blobs, ledger = provisioned_blobs(), MemoryLedger()
    emp = make_employee(blobs=blobs)
    receipts = _erase(_change(emp), blobs, ledger, referenced={emp.document.key})
    assert receipts == []
    assert blobs.exists("CA", emp.document.key)
    assert "referenced by a live record" in caplog.text


def test_a_storage_failure_propagates_so_the_caller_retries():
    from humangov.domain.errors import StorageUnavailable

    from .conftest import Unreachable

    blobs, ledger = provisioned_blobs(), MemoryLedger()
    emp = make_employee(blobs=blobs)
    with pytest.raises(StorageUnavailable):
        _erase(_change(emp), Unreachable(blobs), ledger)
    assert ledger.receipts("CA", limit=10, cursor=None)[0] == []


def provisioned_blobs() -> MemoryBlobStore:
    blobs = MemoryBlobStore(FakeClock())
    blobs.provision_state("CA")
    return blobs
