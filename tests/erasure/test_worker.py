import asyncio

import pytest

from humangov.adapters.blobs.filesystem import FilesystemBlobStore
from humangov.adapters.erasure import build_erasure_adapters
from humangov.erasure.metrics import ErasureCollector
from humangov.erasure.worker import ErasureWorker, backoff
from tests.pauses import Pauses

from .conftest import Refusing, Unreachable, add, make_employee


@pytest.fixture
def world(tmp_path, engine, sql_records, clock, settings):
    blobs = FilesystemBlobStore(tmp_path / "documents")
    blobs.provision_state("CA")
    outbox, ledger = build_erasure_adapters(engine, clock)
    worker = ErasureWorker(outbox, blobs, sql_records, ledger, clock, settings, "w1")
    return worker


def test_deleting_an_employee_erases_the_document_with_one_receipt(world):
    # GIVEN an employee with a stored document
    emp = add(world.records, make_employee(blobs=world.blobs))
    # WHEN the record is deleted and the worker runs
    world.records.delete_employee("CA", emp.id, "admin@ca")
    assert world.run_once() == 1
    # THEN the file is gone, one receipt proves it, and nothing is pending
    assert not world.blobs.exists("CA", emp.document.key)
    [receipt] = world.ledger.receipts("CA", limit=5, cursor=None)[0]
    assert (receipt.key, receipt.reason, receipt.actor, receipt.result) == (
        emp.document.key, "record-deleted", "admin@ca", "erased")
    assert world.outbox.pending_count() == 0


def attempts_until(world, clock, hours: float) -> list[float]:
    """Run the worker each minute of `hours` of virtual time; the times (s) it tried."""
    tried = []
    for minute in range(int(hours * 60)):
        if world.run_once():
            tried.append(minute * 60.0)
        clock.advance(60)
    return tried


def test_an_outage_of_hours_retries_with_backoff_and_leaves_no_dead_letter(world, clock):
    # GIVEN a deleted employee's document on a store that is down for six hours
    emp = add(world.records, make_employee(blobs=world.blobs))
    world.records.delete_employee("CA", emp.id, "admin@ca")
    real = world.blobs
    world.blobs = Unreachable(real)
    tried = attempts_until(world, clock, hours=6)
    # THEN it was retried, less and less often but never more than an hour apart
    gaps = [b - a for a, b in zip(tried, tried[1:], strict=False)]
    assert 5 <= len(tried) <= 40 and max(gaps) <= 3600 + 60
    assert world.outbox.dead_letters() == [] and world.outbox.pending_count() == 1
    # WHEN the store is back THEN the next attempt erases it
    world.blobs.down = False
    attempts_until(world, clock, hours=1.1)
    assert not real.exists("CA", emp.document.key)
    assert world.outbox.pending_count() == 0


def test_an_erasure_failing_for_a_day_is_a_dead_letter_and_a_retry_opens_a_new_day(
    world, clock
):
    emp = add(world.records, make_employee(blobs=world.blobs))
    world.records.delete_employee("CA", emp.id, "admin@ca")
    real = world.blobs
    world.blobs = Unreachable(real)
    attempts_until(world, clock, hours=25.5)
    [dead] = world.outbox.dead_letters("CA")
    assert "unreachable" in dead.last_error and dead.attempts > 5
    assert real.exists("CA", emp.document.key)
    metrics = {m.name: m.samples[0].value for m in ErasureCollector(world.outbox).collect()}
    assert metrics == {"humangov_erasure_pending": 0, "humangov_erasure_dead_letters": 1,
                       "humangov_erasure_held": 0}
    # WHEN it is retried while storage is still down THEN it retries again for a new window
    assert world.outbox.retry_dead() == 1
    assert world.run_once() == 1
    assert world.outbox.dead_letters() == [] and world.outbox.pending_count() == 1
    # and once storage is back, the file is erased
    world.blobs.down = False
    attempts_until(world, clock, hours=1.1)
    assert not real.exists("CA", emp.document.key)
    assert world.outbox.counts() == {"pending": 0, "done": 1, "dead": 0}


def test_a_refusal_retrying_cannot_lift_is_a_dead_letter_at_once(world):
    # GIVEN a document the store refuses to erase (as S3 does under a legal hold)
    emp = add(world.records, make_employee(blobs=world.blobs))
    world.records.delete_employee("CA", emp.id, "admin@ca")
    real = world.blobs
    world.blobs = Refusing(real)
    # WHEN the worker tries once
    assert world.run_once() == 1
    # THEN the erasure waits for a person, not for seven more backoffs, and the file is kept
    [dead] = world.outbox.dead_letters("CA")
    assert dead.attempts == 1 and "legal hold" in dead.last_error
    assert world.outbox.pending_count() == 0 and real.exists("CA", emp.document.key)


def test_replacing_a_document_erases_only_the_old_file(world):
    from dataclasses import replace

    from humangov.domain.model import DocumentRef, HistoryEntry

    emp = add(world.records, make_employee(blobs=world.blobs))
    new_doc = DocumentRef.new(emp.id, 9, emp.document.sha256)
    world.blobs.put("CA", new_doc.key, [b"%PDF-1.7\n"])
    history = HistoryEntry(emp.id, "CA", "document-replaced", "a", emp.created_at)
    world.records.update_employee(replace(emp, document=new_doc, version=2), 1, history)
    world.run_once()
    assert not world.blobs.exists("CA", emp.document.key)
    assert world.blobs.exists("CA", new_doc.key)


@pytest.mark.parametrize(("attempts", "ceiling"), [(1, 1), (2, 2), (3, 4), (10, 10)])
def test_backoff_is_full_jitter_under_an_exponential_ceiling(attempts, ceiling):
    import random

    rng = random.Random(7)
    samples = [backoff(attempts, 1, 10, rng) for _ in range(200)]
    assert min(samples) >= 0 and max(samples) <= ceiling
    assert max(samples) > ceiling * 0.8  # jitter spans the whole range


@pytest.fixture
async def running(world):
    """The worker's loop running as in `serve`, paused between polls by the test."""
    world._sleep = pauses = Pauses()
    stop = asyncio.Event()
    task = asyncio.create_task(world.run(stop))
    await pauses.asleep()
    yield pauses
    stop.set()
    await asyncio.wait_for(task, 10)


async def test_a_woken_worker_erases_without_waiting_for_its_next_poll(world, running):
    # GIVEN an idle worker whose poll interval never runs out
    emp = add(world.records, make_employee(blobs=world.blobs))
    # WHEN a record is deleted and the worker woken
    world.records.delete_employee("CA", emp.id, "admin@ca")
    world.wake()
    await running.asleep()
    # THEN the file is gone, though no poll interval ever ended
    assert not world.blobs.exists("CA", emp.document.key)
    assert running.asked == [world.settings.erasure_poll_seconds] * 2


async def test_an_idle_worker_takes_no_write_lock_and_still_sees_another_processs_delete(
    world, running, engine, tmp_path, clock,
):
    import sqlalchemy as sa

    from humangov.adapters.records.sqlite import SqliteRecordStore
    from humangov.adapters.sql import open_database

    emp = add(world.records, make_employee(blobs=world.blobs))
    writes = []
    sa.event.listen(engine, "before_cursor_execute",
                    lambda conn, cursor, statement, *rest: writes.append(statement)
                    if statement.startswith("BEGIN IMMEDIATE") else None)
    # WHEN the idle worker polls a few times THEN it never opens a write transaction
    await running.poll(times=5)
    assert writes == []
    # WHEN another process (its own connection to the file) deletes the record
    other = open_database(tmp_path / "humangov.db")
    try:
        SqliteRecordStore(other, clock).delete_employee("CA", emp.id, "cli:admin")
    finally:
        other.dispose()
    # THEN the next poll claims the intent and erases the file
    await running.poll()
    assert not world.blobs.exists("CA", emp.document.key)
    assert world.ledger.totals("CA") == {"record-deleted": 1} and world.outbox.pending_count() == 0
    assert writes  # the claim, the receipt and the completion


class FailingOutbox:
    """Wraps an outbox that cannot be read, as on a full or locked database, until `up`."""

    def __init__(self, inner):
        self.inner, self.down = inner, True

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def has_due(self, now):
        if self.down:
            raise OSError(28, "No space left on device")
        return self.inner.has_due(now)


async def test_a_failing_outbox_backs_off_logs_once_per_try_and_ignores_wakes(
    world, running, caplog
):
    # GIVEN an outbox that fails, and a deleted employee waiting
    emp = add(world.records, make_employee(blobs=world.blobs))
    world.records.delete_employee("CA", emp.id, "admin@ca")
    world.outbox = FailingOutbox(world.outbox)
    caplog.clear()
    # WHEN the worker polls five times, woken after each delete in between
    for _ in range(5):
        world.wake()
        await running.poll()
    # THEN it paused twice as long after each failure, wakes did not cut a pause short,
    # and it logged one line per try, with the traceback only the first time
    poll = world.settings.erasure_poll_seconds
    assert running.asked[-5:] == [poll * 2 ** n for n in range(1, 6)]
    lines = [r for r in caplog.records if "outbox" in r.getMessage()]
    assert len(lines) == 5 and "No space left" in lines[-1].getMessage()
    assert [r.exc_info is not None for r in lines] == [True] + [False] * 4
    # WHEN the outbox recovers THEN the next try erases, and polls are back to normal
    world.outbox.down = False
    await running.poll()
    assert not world.blobs.exists("CA", emp.document.key)
    assert running.asked[-1] == poll


def test_a_long_batch_renews_the_claims_it_has_yet_to_finish(world, clock):
    # GIVEN three deleted employees, and a worker whose every erasure takes 0.6 s
    emps = [add(world.records, make_employee(blobs=world.blobs)) for _ in range(3)]
    for e in emps:
        world.records.delete_employee("CA", e.id, "admin@ca")
    ticks = iter(range(100))
    world._monotonic = lambda: next(ticks) * 0.6
    renewed = []
    renew = world.outbox.renew
    world.outbox.renew = lambda ids, worker, until: (renewed.append(ids),
                                                     renew(ids, worker, until))
    # WHEN it runs the batch
    assert world.run_once() == 3
    # THEN, past a second in, it renewed the lease of the intents still to do, and all are done
    assert renewed and all(len(ids) < 3 for ids in renewed)
    assert world.outbox.counts()["done"] == 3


def test_a_worker_frees_at_once_the_claims_of_a_dead_process_on_its_host_only(world, clock):
    import socket
    import subprocess
    import sys

    from humangov.erasure.worker import local_worker_id

    # GIVEN claims held by a process of this host that has exited, and by another host's worker
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    dead = f"serve@{socket.gethostname()}:{gone}"
    elsewhere = "serve@another-host:1"
    for claimant in (dead, elsewhere):
        emp = add(world.records, make_employee(blobs=world.blobs))
        world.records.delete_employee("CA", emp.id, "admin@ca")
        assert len(world.outbox.claim(claimant, 1, clock.now(), 60)) == 1
    # WHEN a worker of this host takes over, with no time passing
    world.worker_id = local_worker_id("serve")
    assert world.take_over_dead_claims() == 1
    # THEN the dead process's claim is done now; the other host's waits for its lease
    assert world.drain() == 1
    assert world.outbox.claimants() == {elsewhere}
    assert world.outbox.counts() == {"pending": 1, "done": 1, "dead": 0}
