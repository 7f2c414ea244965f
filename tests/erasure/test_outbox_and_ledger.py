"""One contract for the memory and SQLite outbox and ledger."""

import threading
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from humangov.adapters.erasure import build_erasure_adapters, build_memory_erasure_adapters
from humangov.domain.erasure import DocumentChange, Receipt
from humangov.domain.model import DocumentRef

from .conftest import T0


@pytest.fixture(params=["memory", "sqlite"])
def adapters(request, tmp_path, clock):
    if request.param == "memory":
        return build_memory_erasure_adapters(clock)
    from humangov.adapters.sql import open_database

    engine = open_database(tmp_path / "o.db")
    request.addfinalizer(engine.dispose)
    return build_erasure_adapters(engine, clock)


def change(state="CA", at=T0):
    cid = str(uuid.uuid4())
    return DocumentChange(cid, state, "e1", "record-deleted",
                          DocumentRef("d", f"e1/{cid}.pdf", 3, "ab"), None, "admin", at)


def test_a_claimed_intent_is_not_claimed_again_until_its_lease_expires(adapters):
    outbox, _ = adapters
    outbox.enqueue(change())
    [intent] = outbox.claim("w1", 10, T0, lease_seconds=30)
    assert intent.attempts == 1 and intent.change.old.size == 3
    assert outbox.claim("w2", 10, T0 + timedelta(seconds=29), 30) == []
    [again] = outbox.claim("w2", 10, T0 + timedelta(seconds=31), 30)  # w1 died
    assert again.id == intent.id and again.attempts == 2
    assert outbox.complete([intent.id], "w1") == 0  # the lease moved on
    assert outbox.complete([intent.id], "w2") == 1
    assert outbox.pending_count() == 0


def test_has_due_answers_whether_a_claim_would_find_an_intent(adapters):
    outbox, _ = adapters
    assert not outbox.has_due(T0)
    outbox.enqueue(change())
    assert not outbox.has_due(T0 - timedelta(seconds=1)) and outbox.has_due(T0)
    [intent] = outbox.claim("w1", 10, T0, lease_seconds=30)
    assert not outbox.has_due(T0 + timedelta(seconds=29))  # leased to w1
    assert outbox.has_due(T0 + timedelta(seconds=31))  # the lease ran out
    outbox.complete([intent.id], "w1")
    assert not outbox.has_due(T0 + timedelta(seconds=31))


def test_two_workers_claiming_at_once_never_share_an_intent(adapters):
    outbox, _ = adapters
    for _ in range(40):
        outbox.enqueue(change())
    got: dict[str, list[int]] = {}

    def work(name):
        ids = []
        while batch := outbox.claim(name, 3, T0, 60):
            ids += [i.id for i in batch]
        got[name] = ids

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got["w0"] + got["w1"]) == sorted(set(got["w0"] + got["w1"]))
    assert len(got["w0"] + got["w1"]) == 40


def test_a_failed_intent_waits_for_its_next_attempt_then_can_become_a_dead_letter(adapters):
    outbox, _ = adapters
    outbox.enqueue(change(state="TX"))
    [i] = outbox.claim("w", 10, T0, 60)
    outbox.fail(i.id, "w", "boom", T0 + timedelta(seconds=5))
    assert outbox.claim("w", 10, T0 + timedelta(seconds=4), 60) == []
    [i] = outbox.claim("w", 10, T0 + timedelta(seconds=5), 60)
    outbox.fail(i.id, "w", "boom again", None)
    [dead] = outbox.dead_letters("TX")
    assert (dead.status, dead.last_error, dead.attempts) == ("dead", "boom again", 2)
    assert outbox.dead_letters("CA") == [] and outbox.pending_count("TX") == 0
    assert outbox.retry_dead(dead.id) == 1
    assert outbox.pending_count("TX") == 1 and outbox.dead_letters() == []


def test_retry_all_requeues_every_dead_letter(adapters):
    outbox, _ = adapters
    for _ in range(3):
        outbox.enqueue(change())
    for i in outbox.claim("w", 10, T0, 60):
        outbox.fail(i.id, "w", "x", None)
    assert outbox.retry_dead() == 3
    assert outbox.pending_count() == 3


def _receipt(n, state="CA"):
    return Receipt(state, f"k{n}", 1, "h", "record-deleted", f"c{n}", "a", T0,
                   T0 + timedelta(minutes=n), "erased")


def test_the_ledger_pages_newest_first_and_ignores_duplicates(adapters):
    _, ledger = adapters
    ledger.append([_receipt(n) for n in range(5)] + [_receipt(9, "TX")])
    ledger.append([_receipt(3)])  # redelivery
    page, cursor = ledger.receipts("CA", limit=2, cursor=None)
    assert [r.key for r in page] == ["k4", "k3"]
    page2, cursor = ledger.receipts("CA", limit=2, cursor=cursor)
    page3, end = ledger.receipts("CA", limit=2, cursor=cursor)
    assert [r.key for r in page2 + page3] == ["k2", "k1", "k0"] and end is None
    assert ledger.has("c3", "k3") and not ledger.has("c3", "k4")
    since, _ = ledger.receipts("CA", limit=10, cursor=None, since=T0 + timedelta(minutes=3))
    assert [r.key for r in since] == ["k4", "k3"]
    assert ledger.totals("CA") == {"record-deleted": 5}
    assert page[0] == replace(_receipt(4))


def test_a_forged_cursor_is_refused_with_a_clear_error(adapters):
    from humangov.domain.errors import InvalidInput

    _, ledger = adapters
    with pytest.raises(InvalidInput, match="cursor"):
        ledger.receipts("CA", limit=2, cursor="!!nonsense")
