"""`humangov serve` killed with SIGKILL while clients delete: after a restart every
acknowledged delete's file is erased with exactly one receipt, and what was in flight is
either wholly kept or wholly erased. Real processes, real HTTP on 127.0.0.1, real files."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from humangov.adapters.sql import open_database
from humangov.bootstrap import bootstrap
from humangov.config import Settings
from humangov.erasure.worker import local_worker_id

STATE = "CA"
EMPLOYEES = 80
KILL_AFTER = 30  # acknowledged deletes
PDF = b"%PDF-1.7\n%killed under load\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serve:
    def __init__(self, data: Path):
        self.data, self.port = data, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "HUMANGOV_DATA_DIR": str(self.data),
               "HUMANGOV_PORT": str(self.port), "HUMANGOV_MONITORING": "false",
               "HUMANGOV_ADMIN_PASSWORD": "killed-under-load-admin"}
        self.proc = subprocess.Popen([sys.executable, "-m", "humangov", "serve"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # Ready when uvicorn says so on stderr: an event, not a timed wait.
        for line in self.proc.stderr:
            if b"Application startup complete" in line:
                threading.Thread(target=self.proc.stderr.read, daemon=True).start()
                return
        raise AssertionError(f"serve exited with {self.proc.wait()} before it was ready")

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


@pytest.fixture
def world(tmp_path):
    container = bootstrap(Settings(data_dir=tmp_path, environment="test"))
    container.personnel.add_state(STATE)
    employees = [container.personnel.add_employee(
        STATE, {"first_name": "Ada", "last_name": f"L{i}", "role": "Clerk", "salary": "1"},
        io.BytesIO(PDF), "test") for i in range(EMPLOYEES)]
    token, _ = container.accounts.create_token("editor", STATE, "test")
    container.close()
    serve = Serve(tmp_path)
    try:
        yield serve, employees, token
    finally:
        serve.stop()


def stored_keys(root: Path) -> set[str]:
    from humangov.adapters.blobs.filesystem import decode_name

    folder = root / "documents" / STATE
    return {decode_name(f.name) for f in folder.glob("*/*") if not f.name.startswith(".")}


@pytest.mark.slow
def test_serve_killed_while_deleting_erases_every_acknowledged_delete_after_restart(world):
    serve, employees, token = world
    serve.start()
    acknowledged: list[str] = []
    enough = threading.Event()

    def delete(employee) -> None:
        try:
            r = httpx.delete(f"{serve.base}/api/v1/states/{STATE}/employees/{employee.id}",
                             headers={"Authorization": f"Bearer {token}"}, timeout=30)
        except httpx.HTTPError:
            return  # the server died under this request: it may or may not have committed
        if r.status_code == 204:
            acknowledged.append(employee.id)
            if len(acknowledged) >= KILL_AFTER:
                enough.set()

    # WHEN 8 clients delete employees and serve is SIGKILLed after 30 acknowledgements
    with ThreadPoolExecutor(8) as clients:
        for e in employees:
            clients.submit(delete, e)
        assert enough.wait(120)
        serve.kill()
    # AND serve is started again (and stopped), and the erasure worker finishes what it left
    serve.start()
    serve.stop()
    finish_erasures(serve.data)
    engine = open_database(serve.data / "humangov.db")
    try:
        with engine.connect() as conn:
            pending = conn.execute(sa.text(
                "SELECT count(*) FROM erasure_outbox WHERE status = 'pending'")).scalar()
            live = {row.id: row.doc_key for row in conn.execute(
                sa.text("SELECT id, doc_key FROM employees WHERE state = :s"), {"s": STATE})}
            receipts = conn.execute(sa.text(
                "SELECT key, count(*) FROM erasure_receipts GROUP BY key")).all()
    finally:
        engine.dispose()
    assert pending == 0
    by_id = {e.id: e.document.key for e in employees}
    # THEN every acknowledged delete is gone, record and file
    assert not set(acknowledged) & set(live)
    # AND the files on disk are exactly the documents of the records that remain
    assert stored_keys(serve.data) == set(live.values())
    # AND every deleted record's file has exactly one receipt
    deleted = {by_id[i] for i in by_id if i not in live}
    assert {key for key, _ in receipts} == deleted
    assert {n for _, n in receipts} == {1}


def finish_erasures(data: Path) -> None:
    """The worker `humangov worker` runs, on the queue both stopped serves left: it takes over
    their claims and drains it, returning when nothing is due. Blocking, so the test waits on
    the work itself rather than polling for its end, which nothing announces."""
    container = bootstrap(Settings(data_dir=data, environment="test"))
    try:
        worker = container.erasures.worker(local_worker_id("worker"))
        worker.take_over_dead_claims()
        worker.drain()
    finally:
        container.close()
