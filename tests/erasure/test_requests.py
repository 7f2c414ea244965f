"""Erasure requests end to end on the embedded stores: filed by counsel, resolved to the
state's records, erased through the delete path with receipts, blocked by holds, closed,
alarmed when overdue and purged after 24 months. The clock is a fake one moved by hand."""

from __future__ import annotations

import io
from datetime import date, timedelta

import orjson
import pytest

from humangov.bootstrap import bootstrap
from humangov.domain.audit import REQUEST_CLOSED, REQUEST_FILED
from humangov.domain.auth import Principal
from humangov.domain.errors import Forbidden, NotFound
from humangov.domain.requests import BLOCKED, DONE, OPEN, OVERDUE, REASON
from humangov.erasure_requests.service import Requests
from tests.conftest import PDF

from .conftest import FakeClock

COUNSEL = Principal("user:counsel@ca.gov", "counsel", "CA")
DUE = date(2026, 1, 31)  # the fake clock starts on 2026-01-01


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def env(tmp_path, clock):
    from humangov.config import Settings

    c = bootstrap(Settings(environment="test", data_dir=tmp_path / "var", monitoring=False),
                  clock=clock)
    for code in ("CA", "TX"):
        c.personnel.add_state(code)
    yield c
    c.close()


class Holds:
    """Stands in for the holds use case: the employees named here are held."""

    def __init__(self) -> None:
        self.held: set[str] = set()

    def __call__(self, state: str, employee_id: str) -> object | None:
        return "matter 42" if employee_id in self.held else None


def requests_of(env, clock, holds=None, alarms=None) -> Requests:
    return Requests(env.request_store, env.personnel, env.records, env.ledger, env.audit, clock,
                    is_held=holds or Holds(),
                    on_overdue=alarms.append if alarms is not None else lambda r: None)


def hire(env, first: str, last: str, state: str = "CA", document: bool = True):
    return env.personnel.add_employee(
        state, {"first_name": first, "last_name": last, "role": "Clerk", "salary": "50000"},
        io.BytesIO(PDF) if document else None, "user:hr@ca.gov")


def erase_queued(env) -> None:
    env.erasures.worker("test").drain()


def test_a_request_by_name_erases_the_record_and_document_and_closes_with_its_receipt(
        env, clock):
    ada = hire(env, "Ada", "Lovelace")
    kept = hire(env, "Grace", "Hopper")
    requests = requests_of(env, clock)
    filed = requests.file(COUNSEL, "CA", subject=" ada  LOVELACE ", legal_basis="CCPA",
                          due=DUE)
    # The record is gone at once; its document waits for the worker, so the request is open.
    assert filed.status == OPEN and filed.employee_ids == (ada.id,)
    assert filed.keys == (ada.document.key,)
    with pytest.raises(NotFound):
        env.personnel.get_employee("CA", ada.id)
    assert env.personnel.get_employee("CA", kept.id).id == kept.id
    erase_queued(env)
    clock.advance(60)
    result = requests.check()
    done = requests.get(COUNSEL, "CA", filed.id)
    assert [r.id for r in result.closed] == [filed.id]
    assert done.status == DONE and done.closed_at == clock.now()
    assert [(r.key, r.result) for r in done.receipts] == [(ada.document.key, "erased")]
    receipts, _ = env.ledger.receipts("CA", limit=10, cursor=None)
    assert [(r.key, r.reason) for r in receipts] == [(ada.document.key, REASON)]
    events, _ = env.audit_log.events(limit=10, cursor=None, state="CA")
    assert [(e.kind, e.subject) for e in events] == [(REQUEST_CLOSED, filed.id),
                                                     (REQUEST_FILED, filed.id)]
    report = orjson.loads(b"".join(env.erasures.report("CA").json_chunks()))
    shown = report["requests"]
    assert [(q["id"], q["status"], [x["key"] for x in q["receipts"]]) for q in shown] == [
        (filed.id, DONE, [ada.document.key])]
    assert report["totals_by_reason"][REASON] == 1


def test_a_held_employee_blocks_the_request_until_the_hold_is_released(env, clock):
    held, free = hire(env, "Ada", "Lovelace"), hire(env, "Alan", "Turing", document=False)
    holds = Holds()
    holds.held.add(held.id)
    requests = requests_of(env, clock, holds)
    filed = requests.file(COUNSEL, "CA", subject=f"{held.id}, Alan Turing",
                          legal_basis="GDPR art. 17", due=DUE)
    assert filed.status == BLOCKED and filed.held == (held.id,)
    assert env.personnel.get_employee("CA", held.id).id == held.id  # kept while held
    with pytest.raises(NotFound):
        env.personnel.get_employee("CA", free.id)
    requests.check()
    assert requests.get(COUNSEL, "CA", filed.id).status == BLOCKED
    holds.held.clear()
    requests.check()  # the hold is released: the record goes now
    erase_queued(env)
    requests.check()
    done = requests.get(COUNSEL, "CA", filed.id)
    assert done.status == DONE and done.held == ()
    assert [r.key for r in done.receipts] == [held.document.key]


def test_a_request_past_its_due_date_is_overdue_and_alarms_once(env, clock):
    hire(env, "Ada", "Lovelace")
    holds, alarms = Holds(), []
    requests = requests_of(env, clock, holds, alarms)
    ada = env.personnel.list_employees("CA").items[0]
    holds.held.add(ada.id)
    filed = requests.file(COUNSEL, "CA", subject="Ada Lovelace", legal_basis="CCPA", due=DUE)
    clock.advance(timedelta(days=30).total_seconds())  # 2026-01-31: due today, not late
    assert requests.check().overdue == [] and alarms == []
    clock.advance(timedelta(days=1).total_seconds())
    assert [r.id for r in requests.check().overdue] == [filed.id]
    requests.check()
    assert [(r.id, r.status) for r in alarms] == [(filed.id, OVERDUE)]


def test_a_request_that_matches_nobody_closes_saying_so(env, clock):
    requests = requests_of(env, clock)
    filed = requests.file(COUNSEL, "CA", subject="Nobody Here", legal_basis="CCPA", due=DUE)
    assert filed.status == DONE and filed.employee_ids == () and "No record" in filed.outcome


def test_closed_requests_are_kept_24_months_then_purged(env, clock):
    requests = requests_of(env, clock)
    filed = requests.file(COUNSEL, "CA", subject="Nobody", legal_basis="CCPA", due=DUE)
    clock.t = clock.t.replace(year=2027, month=12, day=31)
    assert requests.check().purged == 0
    clock.t = filed.closed_at.replace(year=2028)
    assert requests.check().purged == 1
    assert requests.listing(COUNSEL, "CA") == []


def test_who_may_file_and_read_requests(env, clock):
    requests = requests_of(env, clock)
    for principal in (Principal("user:e@ca.gov", "editor", "CA"),
                      Principal("user:v@ca.gov", "viewer", "CA")):
        with pytest.raises(Forbidden):
            requests.file(principal, "CA", subject="x", legal_basis="y", due=DUE)
        with pytest.raises(Forbidden):
            requests.listing(principal, "CA")
    with pytest.raises(NotFound):  # another state's counsel: 404, as for its data
        requests.listing(Principal("user:c@tx.gov", "counsel", "TX"), "CA")
    for principal in (COUNSEL, Principal("user:a@ca.gov", "state-admin", "CA"),
                      Principal("user:root", "admin")):
        requests.file(principal, "CA", subject="x", legal_basis="y", due=DUE)
    assert len(requests.listing(COUNSEL, "CA")) == 3


def test_counsel_reads_records_but_changes_none(env, clock):
    ada = hire(env, "Ada", "Lovelace")
    with pytest.raises(Forbidden, match="counsel"):
        COUNSEL.require_write("CA")
    assert env.personnel.get_employee("CA", ada.id).id == ada.id
    COUNSEL.require_read("CA")
