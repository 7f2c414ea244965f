"""A worker killed with SIGKILL mid-batch: after restart every intent is finished, once."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa

from humangov.adapters.blobs.filesystem import FilesystemBlobStore
from humangov.adapters.records.sqlite import SqliteRecordStore
from humangov.adapters.sql import open_database
from humangov.domain.states import state_for

from .conftest import add, make_employee

WORKER = textwrap.dedent("""
    import sys, threading, time
    from humangov.adapters.blobs.filesystem import FilesystemBlobStore
    from humangov.adapters.clock import SystemClock
    from humangov.adapters.erasure import build_erasure_adapters
    from humangov.adapters.records.sqlite import SqliteRecordStore
    from humangov.adapters.sql import open_database
    from humangov.config import Settings
    from humangov.erasure.worker import ErasureWorker

    class Stalling(FilesystemBlobStore):
        # Erases `stall_after` files, then hangs in the middle of the batch until killed.

        def __init__(self, root, stall_after):
            super().__init__(root)
            self.left = stall_after

        def delete(self, state, key):
            if self.left == 0:
                print("stalled", flush=True)
                threading.Event().wait()
            self.left -= 1
            return super().delete(state, key)

    data, stall_after = sys.argv[1], int(sys.argv[3])
    clock = SystemClock()
    engine = open_database(f"{data}/humangov.db")
    outbox, ledger = build_erasure_adapters(engine, clock)
    blobs = Stalling(f"{data}/documents", stall_after)
    worker = ErasureWorker(outbox, blobs, SqliteRecordStore(engine, clock), ledger,
                           clock, Settings(environment="test"), sys.argv[2], lease_seconds=2)
    print("ready", flush=True)
    while worker.run_once(10) or outbox.pending_count():
        time.sleep(0.05)  # the dead worker's lease has yet to run out
""")


@pytest.mark.slow
def test_a_worker_killed_mid_batch_finishes_every_intent_after_restart_without_duplicates(tmp_path):
    # GIVEN 30 deleted employees whose documents await erasure
    engine = open_database(tmp_path / "humangov.db")
    records = SqliteRecordStore(engine)
    records.add_state(state_for("CA"))
    blobs = FilesystemBlobStore(tmp_path / "documents")
    blobs.provision_state("CA")
    employees = [add(records, make_employee(blobs=blobs)) for _ in range(30)]
    for e in employees:
        records.delete_employee("CA", e.id, "admin@ca")
    keys = [e.document.key for e in employees]
    script = tmp_path / "worker.py"
    script.write_text(WORKER)

    # WHEN a worker is killed with SIGKILL in the middle of a batch, five files in
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path), "first", "5"],
                            stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"ready"
    assert proc.stdout.readline().strip() == b"stalled"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert sum(not blobs.exists("CA", k) for k in keys) == 5

    # AND a new worker starts (it waits out the dead worker's lease)
    subprocess.run([sys.executable, str(script), str(tmp_path), "second", "-1"],
                   check=True, timeout=60, stdout=subprocess.DEVNULL)

    # THEN every file is gone, every intent is done, and each key has exactly one receipt
    assert all(not blobs.exists("CA", k) for k in keys)
    with engine.connect() as conn:
        statuses = conn.execute(
            sa.text("SELECT status, count(*) FROM erasure_outbox GROUP BY status")
        ).all()
        receipts = conn.execute(
            sa.text("SELECT key, count(*) FROM erasure_receipts GROUP BY key")
        ).all()
    assert statuses == [("done", 30)]
    assert sorted(k for k, _ in receipts) == sorted(keys) and {n for _, n in receipts} == {1}
    engine.dispose()
