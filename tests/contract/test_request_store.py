"""The RequestStore contract: a request reads back as it was saved, a save replaces it by id,
a state's requests list newest first and only its own, and a removed one is gone."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from humangov.domain.requests import DONE, ErasureRequest, RequestReceipt

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def request(n: int, state: str = "CA") -> ErasureRequest:
    return ErasureRequest(
        id=f"00000000-0000-4000-8000-{n:012d}", state=state, subject=f"Person {n}",
        legal_basis="CCPA 1798.105", due=date(2026, 2, n + 1), filed_by="user:c@ca.gov",
        filed_at=T0 + timedelta(hours=n), employee_ids=(f"e{n}",), keys=(f"e{n}/d.pdf",))


def test_a_request_reads_back_as_saved_and_a_save_replaces_it(request_store):
    filed = request(1)
    request_store.save(filed)
    assert request_store.get("CA", filed.id) == filed
    closed = replace(filed, status=DONE, outcome="Erased 1 record(s).", closed_at=T0,
                     receipts=(RequestReceipt("e1/d.pdf", "erased", T0, "chg-1"),),
                     held=("e9",))
    request_store.save(closed)
    assert request_store.get("CA", filed.id) == closed
    assert request_store.list("CA") == [closed]


def test_a_state_lists_its_own_requests_newest_first(request_store):
    for n in range(3):
        request_store.save(request(n))
    request_store.save(request(7, state="TX"))
    assert [r.subject for r in request_store.list("CA")] == ["Person 2", "Person 1", "Person 0"]
    assert request_store.get("TX", request(1).id) is None
    assert [r.subject for r in request_store.list("TX")] == ["Person 7"]


def test_a_removed_request_is_gone(request_store):
    request_store.save(request(1))
    request_store.save(request(2))
    request_store.remove("CA", request(1).id)
    request_store.remove("CA", "no-such-request")
    assert [r.subject for r in request_store.list("CA")] == ["Person 2"]
    assert request_store.get("CA", request(1).id) is None
