"""Separation and retention on the embedded backend, on an injected clock (no sleeping)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest

from humangov.bootstrap import bootstrap
from humangov.config import Settings
from humangov.domain.auth import Principal
from humangov.domain.errors import Conflict, Forbidden, InvalidInput
from tests.erasure.conftest import FakeClock

PDF = b"%PDF-1.7\n" + b"x" * 100
ADMIN = Principal("user:admin@ca.gov", "state-admin", "CA")


@pytest.fixture
def clock():
    return FakeClock(datetime(2030, 1, 1, 12, tzinfo=UTC))


@pytest.fixture
def c(tmp_path, clock):
    container = bootstrap(Settings(data_dir=tmp_path), clock=clock)
    container.personnel.add_state("CA")
    yield container
    container.close()


def hire(c, last_name, separated_on=None):
    e = c.personnel.add_employee("CA", {"first_name": "Ada", "last_name": last_name,
                                        "role": "Clerk", "salary": "50000"},
                                 io.BytesIO(PDF), "test")
    if separated_on:
        e = c.personnel.separate_employee("CA", e.id, separated_on, "resigned", "test")
    return e


def names(page):
    return [e.last_name for e in page.items]


def test_separated_employees_leave_the_default_list_and_keep_their_history(c):
    hire(c, "Active")
    gone = hire(c, "Gone", "2029-06-30")
    assert names(c.personnel.list_employees("CA")) == ["Active"]
    assert names(c.personnel.list_employees("CA", separated=True)) == ["Gone"]
    history = c.personnel.history("CA", gone.id)
    assert [h.action for h in history] == ["added", "separated"]
    assert ("separated_on", None, "2029-06-30") in history[-1].changes
    with pytest.raises(Conflict):
        c.personnel.separate_employee("CA", gone.id, "2029-07-01", "again", "test")


def test_a_separation_needs_a_date_and_a_reason(c):
    e = hire(c, "Active")
    with pytest.raises(InvalidInput, match="separated_on"):
        c.personnel.separate_employee("CA", e.id, "last week", "resigned", "test")
    with pytest.raises(InvalidInput, match="reason"):
        c.personnel.separate_employee("CA", e.id, "2029-01-01", "  ", "test")


def test_nothing_expires_without_a_schedule(c):
    hire(c, "Old", "2000-01-01")
    assert c.retention.show("CA").record_years is None
    assert c.retention.run(["CA"]) == []


def test_only_a_state_admin_sets_the_schedule_and_the_audit_log_says_so(c):
    with pytest.raises(Forbidden):
        c.retention.set("CA", 3, 7, Principal("user:e@ca.gov", "editor", "CA"))
    c.retention.set("CA", "3", "7", ADMIN)
    events, _ = c.audit_log.events(limit=5, cursor=None, kind="retention.set")
    assert events[0].actor == ADMIN.actor
    assert events[0].detail["after"] == {"document_years": 3, "record_years": 7}


def test_the_run_erases_expired_documents_then_records_with_receipts(c, clock):
    c.retention.set("CA", 3, 7, ADMIN)
    doc_due = hire(c, "DocDue", "2026-06-30")  # document due 2029-06-30, record 2033-06-30
    rec_due = hire(c, "RecDue", "2022-12-31")  # record due 2029-12-31
    fresh = hire(c, "Fresh", "2029-06-30")
    hire(c, "Working")

    dry = c.retention.run(["CA"], dry_run=True)
    assert {(r.employee_id, r.what, r.due, r.outcome) for r in dry} == {
        (doc_due.id, "document", date(2029, 6, 30), "due"),
        (rec_due.id, "record", date(2029, 12, 31), "due"),
    }
    assert c.personnel.get_employee("CA", doc_due.id).document is not None  # dry: untouched

    done = c.retention.run(["CA"])
    assert {r.outcome for r in done} == {"erased"}
    assert c.erasures.worker("test").drain() == 2
    receipts, _ = c.ledger.receipts("CA", limit=10, cursor=None)
    assert {(r.key, r.reason, r.result) for r in receipts} == {
        (doc_due.document.key, "retention-expired", "erased"),
        (rec_due.document.key, "retention-expired", "erased"),
    }
    kept = c.personnel.get_employee("CA", doc_due.id)
    assert kept.document is None
    assert c.personnel.history("CA", doc_due.id)[-1].action == "retention-expired"
    assert c.personnel.list_employees("CA", separated=True).items == [
        kept, c.personnel.get_employee("CA", fresh.id)]
    assert c.retention.run(["CA"]) == []

    clock.t = datetime(2032, 7, 1, tzinfo=UTC)  # Fresh's document is due from 2032-06-30
    assert [(r.employee_id, r.what) for r in c.retention.run(["CA"])] == [(fresh.id, "document")]


def test_a_held_employee_is_skipped_and_reported_held(c):
    c.retention.set("CA", None, 1, ADMIN)
    held = hire(c, "Held", "2020-01-01")
    c.retention.is_held = lambda state, employee_id: "matter" if employee_id == held.id else None
    assert [r.outcome for r in c.retention.run(["CA"])] == ["held"]
    assert c.personnel.get_employee("CA", held.id) is not None


def test_past_due_names_what_is_late_beyond_the_grace_days(c):
    c.retention.set("CA", None, 1, ADMIN)
    late = hire(c, "Late", "2028-12-01")  # due 2029-12-01, a month before "today"
    assert [r.employee_id for r in c.retention.past_due("CA", grace_days=7)] == [late.id]
    assert c.retention.past_due("CA", grace_days=60) == []


def test_the_compliance_report_shows_the_schedule_and_what_is_past_its_date(c):
    import json

    c.retention.set("CA", 3, 7, ADMIN)
    late = hire(c, "Late", "2026-06-30")  # its document was due 2029-06-30
    hire(c, "Recent", "2029-12-01")
    report = json.loads(b"".join(c.erasures.report("CA").json_chunks()))
    assert report["retention"] == {
        "schedule": {"document_years": 3, "record_years": 7, "set_by": ADMIN.actor,
                     "set_at": "2030-01-01T12:00:00+00:00"},
        "past_due": [{"employee_id": late.id, "what": "document", "due": "2029-06-30"}],
    }
    c.retention.run(["CA"])
    after = json.loads(b"".join(c.erasures.report("CA").json_chunks()))
    assert after["retention"]["past_due"] == []


def test_the_daily_job_erases_and_warns_of_what_is_late(c, caplog):
    from datetime import timedelta

    from humangov.retention.service import RetentionJob

    c.retention.set("CA", None, 1, ADMIN)
    due = hire(c, "Due", "2028-12-01")
    job = RetentionJob(c.retention, lambda: ["CA"], every=timedelta(days=1), late_days=2)
    c.retention.is_held = lambda state, employee_id: "matter"
    assert [r.outcome for r in job.run_once()] == ["held"]
    assert f"record of {due.id} was due 2029-12-01" in caplog.text
    c.retention.is_held = lambda state, employee_id: None
    assert [r.outcome for r in job.run_once()] == ["erased"]
