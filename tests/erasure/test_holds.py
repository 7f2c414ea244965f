"""Legal holds on the embedded backend (real SQLite, real files): while a hold is in force,
nothing it covers is erased by delete, replacement or sweep; the erasure waits as `held`
and proceeds, with its receipt, when the hold is released."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from humangov.bootstrap import bootstrap
from humangov.domain.auth import Principal
from humangov.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from humangov.domain.holds import Hold
from humangov.domain.model import DocumentRef
from humangov.erasure.metrics import ErasureCollector
from tests.conftest import PDF
from tests.erasure.conftest import T0, FakeClock

COUNSEL = Principal("user:counsel@ca.gov", "state-admin", "CA")
WORKER = "test@worker"


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def c(settings, clock):
    container = bootstrap(settings, clock=clock)
    for code in ("CA", "TX"):
        container.personnel.add_state(code)
    yield container
    container.close()


def hire(c, state="CA"):
    return c.personnel.add_employee(state, {"first_name": "Ada", "last_name": "Lovelace",
                                            "role": "Clerk", "salary": "50000"},
                                    io.BytesIO(PDF), "hr")


def drain(c) -> None:
    c.erasures.worker(WORKER).drain()


def report(c, state="CA") -> dict:
    import orjson

    return orjson.loads(b"".join(c.erasures.report(state).json_chunks()))


def gauges(c) -> dict[str, float]:
    return {m.name: m.samples[0].value for m in ErasureCollector(c.outbox).collect()}


def test_a_deleted_employee_under_a_hold_keeps_the_document_until_the_release(c, clock):
    held, free = hire(c), hire(c)
    hold = c.holds.place(COUNSEL, "CA", "Doe v. California", [held.id])
    c.personnel.delete_employee("CA", held.id, "hr")
    c.personnel.delete_employee("CA", free.id, "hr")

    drain(c)

    # THEN the held one waits as held (not pending, not a dead letter), the free one is erased
    assert c.blobs.stat("CA", held.document.key) is not None
    assert c.blobs.stat("CA", free.document.key) is None
    [waiting] = c.erasures.held("CA")
    assert waiting.change.employee_id == held.id and hold.id in waiting.last_error
    assert c.erasures.dead_letters() == [] and c.erasures.pending("CA") == 0
    assert gauges(c)["humangov_erasure_held"] == 1
    r = report(c)
    assert r["holds"]["in_force"] == 1
    assert [(h["matter"], h["scope"], h["status"]) for h in r["holds"]["holds"]] == [
        ("Doe v. California", [held.id], "in force")]
    assert [w["key"] for w in r["holds"]["held_erasures"]] == [held.document.key]
    assert [x["key"] for x in r["receipts"]] == [free.document.key]

    # WHEN the hold is released THEN the erasure proceeds with its receipt
    clock.advance(60)
    released = c.holds.release(COUNSEL, "CA", hold.id)
    assert (released.released_by, released.released_at) == (COUNSEL.actor,
                                                             T0 + timedelta(seconds=60))
    drain(c)
    assert c.blobs.stat("CA", held.document.key) is None
    assert c.erasures.held("CA") == [] and gauges(c)["humangov_erasure_held"] == 0
    r = report(c)
    assert r["holds"]["in_force"] == 0 and r["holds"]["holds"][0]["status"] == "released"
    receipt = next(x for x in r["receipts"] if x["key"] == held.document.key)
    assert (receipt["reason"], receipt["result"], receipt["actor"]) == (
        "record-deleted", "erased", "hr")
    events, _ = c.audit.events(COUNSEL, limit=10)
    assert [(e.kind, e.subject, e.actor) for e in events] == [
        ("hold.released", hold.id, COUNSEL.actor), ("hold.placed", hold.id, COUNSEL.actor)]


def test_a_whole_state_hold_keeps_a_replaced_document_and_another_hold_outlasts_a_release(c):
    e = hire(c)
    whole = c.holds.place(COUNSEL, "CA", "State audit")
    one = c.holds.place(COUNSEL, "CA", "Grievance 7", [e.id])
    old = e.document
    c.personnel.replace_document("CA", e.id, io.BytesIO(PDF), "hr")
    drain(c)
    assert c.blobs.stat("CA", old.key) is not None
    [waiting] = c.erasures.held("CA")
    assert waiting.change.reason == "document-replaced"

    # WHEN one of the two holds is released THEN the other still keeps it
    c.holds.release(COUNSEL, "CA", whole.id)
    drain(c)
    assert c.blobs.stat("CA", old.key) is not None
    assert [w.change.change_id for w in c.erasures.held("CA")] == [waiting.change.change_id]

    c.holds.release(COUNSEL, "CA", one.id)
    drain(c)
    assert c.blobs.stat("CA", old.key) is None and c.erasures.held("CA") == []
    [receipt], _ = c.erasures.receipts("CA", limit=5)
    assert (receipt.key, receipt.reason) == (old.key, "document-replaced")


def test_the_sweep_keeps_a_held_employees_orphan_and_purges_it_after_the_release(c, clock):
    e, other = hire(c), hire(c)
    # files of theirs that no record references (an upload whose record never committed)
    stray = {emp.id: DocumentRef.new(emp.id, len(PDF), "0" * 64).key for emp in (e, other)}
    for key in stray.values():
        c.blobs.put("CA", key, [PDF])
    hold = c.holds.place(COUNSEL, "CA", "Doe v. California", [e.id])
    clock.t = datetime.now(UTC) + timedelta(hours=1)  # the files' clock is the disk's

    result = c.erasures.sweep("CA", grace=timedelta(minutes=1), purge_orphans=True)

    assert result.held == [stray[e.id]] and result.purged == 1
    assert result.to_json()["held"] == [stray[e.id]]
    assert c.blobs.stat("CA", stray[e.id]) is not None
    assert c.blobs.stat("CA", stray[other.id]) is None

    c.holds.release(COUNSEL, "CA", hold.id)
    result = c.erasures.sweep("CA", grace=timedelta(minutes=1), purge_orphans=True)
    assert (result.held, result.purged) == ([], 1)
    assert c.blobs.stat("CA", stray[e.id]) is None


def test_held_answers_for_an_employee_a_whole_state_and_nobody_after_release(c):
    e, f = hire(c), hire(c)
    one = c.holds.place(COUNSEL, "CA", "Doe", [e.id])
    assert c.holds.held("CA", e.id) == one
    assert c.holds.held("CA", f.id) is None and c.holds.held("CA", None) is None
    assert c.holds.held("TX", e.id) is None
    whole = c.holds.place(Principal("user:root", "admin"), "TX", "Federal audit")
    assert c.holds.held("TX", "anyone") == whole and c.holds.held("TX", None) == whole
    c.holds.release(COUNSEL, "CA", one.id)
    assert c.holds.held("CA", e.id) is None


def test_the_worker_asks_the_injected_hook_retention_and_requests_share(c):
    """Retention and erasure requests are given `is_held`; the worker takes any such hook."""
    e = hire(c)
    asked: list[tuple[str, str | None]] = []
    fake = Hold("fake", "CA", "Injected", (e.id,), "test", T0)

    def is_held(state: str, employee_id: str | None) -> Hold | None:
        asked.append((state, employee_id))
        return fake

    c.personnel.delete_employee("CA", e.id, "hr")
    from humangov.erasure.worker import ErasureWorker

    ErasureWorker(c.outbox, c.blobs, c.records, c.ledger, c.clock, c.settings, WORKER,
                  is_held=is_held).drain()
    assert asked == [("CA", e.id)]
    [waiting] = c.erasures.held("CA")
    assert "fake" in waiting.last_error and c.blobs.stat("CA", e.document.key) is not None


def test_who_may_place_and_release_holds(c):
    e = hire(c)
    with pytest.raises(Forbidden):
        c.holds.place(Principal("user:ed", "editor", "CA"), "CA", "Doe", [e.id])
    with pytest.raises(NotFound):  # another state's: as if it did not exist
        c.holds.place(Principal("user:tx", "state-admin", "TX"), "CA", "Doe", [e.id])
    with pytest.raises(NotFound, match="No employee nobody in CA"):
        c.holds.place(COUNSEL, "CA", "Doe", ["nobody"])
    with pytest.raises(InvalidInput, match="matter"):
        c.holds.place(COUNSEL, "CA", "  ", [e.id])
    hold = c.holds.place(COUNSEL, "CA", "Doe", [e.id])
    with pytest.raises(NotFound):
        c.holds.release(COUNSEL, "TX", hold.id)
    c.holds.release(COUNSEL, "CA", hold.id)
    with pytest.raises(Conflict, match="released"):
        c.holds.release(COUNSEL, "CA", hold.id)


def test_the_holds_commands_place_list_and_release_with_audit_events(c, settings):
    import orjson

    from tests.cli.test_cli import humangov

    e = hire(c)
    data = ("--data-dir", settings.data_dir)
    placed = humangov("holds", "add", "--state", "ca", "--matter", "Doe", "--employee", e.id,
                      *data)
    assert placed.exit_code == 0, placed.output
    listed = orjson.loads(humangov("holds", "list", "--state", "CA", "--format", "json",
                                   *data).stdout)
    [hold] = listed["holds"]
    assert (hold["matter"], hold["scope"], hold["status"]) == ("Doe", [e.id], "in force")
    assert humangov("holds", "release", hold["id"], "--state", "CA", *data).exit_code == 0
    again = humangov("holds", "release", hold["id"], "--state", "CA", *data)
    assert again.exit_code == 1 and "released" in again.stderr
    unknown = humangov("holds", "add", "--state", "CA", "--matter", "X", "--employee", "nope",
                       *data)
    assert unknown.exit_code == 1 and "No employee nope in CA" in unknown.stderr
    events, _ = c.audit.events(COUNSEL, limit=5)
    assert [ev.kind for ev in events] == ["hold.released", "hold.placed"]
    assert events[0].actor.startswith("cli:")
