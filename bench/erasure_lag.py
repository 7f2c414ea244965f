"""Erasure lag under load: 12 clients create, replace and delete employees against
`humangov serve` for 60 s; for every acknowledged delete and replace, the time from the
response to the erased file being gone from the documents folder.

    python -m bench.erasure_lag [--clients 12] [--seconds 60]

The same load runs twice in one invocation: with erasure on (the worker `serve` runs), and
with it off (HUMANGOV_ERASURE_WORKER=off), so the request rates side by side show what
erasure costs the users and the lag shows whether erasure keeps up with them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.loadgen import free_port

STATE = "CA"
PDF = b"%PDF-1.7\n" + b"x" * 20_000 + b"\n%%EOF\n"  # a 20 KB scan
FIELDS = {"first_name": "Ada", "last_name": "Lovelace", "role": "Clerk", "salary": "50000"}


@dataclass
class Watcher:
    """Polls the files erasure must remove; records each one's lag once it is gone."""

    pending: dict[str, tuple[str, float]] = field(default_factory=dict)  # path -> kind, acked
    lags: dict[str, list[float]] = field(default_factory=lambda: {"delete": [], "replace": []})
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def expect(self, paths: list[str], kind: str, acked: float) -> None:
        with self.lock:
            for p in paths:
                self.pending[p] = (kind, acked)

    def run(self) -> None:
        while not (self.stop.is_set() and not self.pending):
            with self.lock:
                items = list(self.pending.items())
            for path, (kind, acked) in items:
                if not os.path.exists(path):
                    gone = time.perf_counter()
                    with self.lock:
                        del self.pending[path]
                    self.lags[kind].append(gone - acked)
            time.sleep(0.002)


def document_files(folder: Path, employee_id: str) -> list[str]:
    """The employee's stored document(s): `<id>/<doc>.pdf`, encoded, in its fan-out folder."""
    fan = folder / employee_id[:2]
    prefix = f"{employee_id}%2F"
    try:
        return [os.fspath(fan / n) for n in os.listdir(fan) if n.startswith(prefix)]
    except FileNotFoundError:
        return []


def upload() -> dict:
    return {"document": ("id.pdf", PDF, "application/pdf")}


async def client(http: httpx.AsyncClient, folder: Path, watcher: Watcher, until: float,
                 counts: dict[str, int]) -> None:
    """One user: create an employee, replace their document, delete them; again."""
    base = f"/api/v1/states/{STATE}/employees"
    while time.perf_counter() < until:
        r = await http.post(base, data=FIELDS, files=upload())
        counts[str(r.status_code)] = counts.get(str(r.status_code), 0) + 1
        if r.status_code != 201:
            continue
        eid = r.json()["id"]
        before = document_files(folder, eid)
        r = await http.put(f"{base}/{eid}/document", files=upload())
        counts[str(r.status_code)] = counts.get(str(r.status_code), 0) + 1
        if r.status_code == 200:
            watcher.expect(before, "replace", time.perf_counter())
        current = [p for p in document_files(folder, eid) if p not in before]
        r = await http.delete(f"{base}/{eid}")
        counts[str(r.status_code)] = counts.get(str(r.status_code), 0) + 1
        if r.status_code == 204:
            watcher.expect(current, "delete", time.perf_counter())


class Serve:
    """`humangov serve` on a data dir, in its own process."""

    def __init__(self, data: Path, erasure: bool = True) -> None:
        self.data, self.port = data, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "HUMANGOV_DATA_DIR": str(data), "HUMANGOV_PORT": str(self.port),
               "HUMANGOV_MONITORING": "false", "HUMANGOV_ADMIN_PASSWORD": "bench-admin-password",
               "HUMANGOV_ERASURE_WORKER": "in-process" if erasure else "off"}
        prefix = os.environ.get("BENCH_SERVER_PREFIX", "").split()  # e.g. a profiler
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([*prefix, sys.executable, "-m", "humangov", "serve"],
                                     env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("serve did not start") from None
                time.sleep(0.05)
        self.ready = time.perf_counter()

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


def new_data_dir(tmp: str) -> tuple[Path, str]:
    from humangov.bootstrap import bootstrap
    from humangov.config import Settings

    data = Path(tmp)
    container = bootstrap(Settings(data_dir=data, environment="test"))
    container.personnel.add_state(STATE)
    token, _ = container.accounts.create_token("editor", STATE, "bench")
    container.close()
    return data, token


def run_load(clients: int, seconds: int, erasure: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data, token = new_data_dir(tmp)
        server = Serve(data, erasure)
        try:
            return asyncio.run(_drive(server.base, token, data, clients, seconds, erasure))
        finally:
            server.stop()


def resume_after_kill(clients: int, tries: int = 5) -> dict:
    """SIGKILL `serve` under load until it dies holding claims; restart it; time how long
    the new process takes to finish the dead one's claims."""
    import sqlalchemy as sa

    from humangov.adapters.sql import open_database

    with tempfile.TemporaryDirectory() as tmp:
        data, token = new_data_dir(tmp)
        engine = open_database(data / "humangov.db")
        try:
            for attempt in range(1, tries + 1):
                server = Serve(data)
                asyncio.run(_load_then_kill(server, token, data, clients, seconds=5))
                with engine.connect() as conn:
                    claimed = [r[0] for r in conn.execute(sa.text(
                        "SELECT id FROM erasure_outbox WHERE status = 'pending'"
                        " AND claimed_by IS NOT NULL"))]
                if not claimed and attempt < tries:
                    continue
                restarted = Serve(data)
                try:
                    while True:
                        with engine.connect() as conn:
                            left = conn.execute(sa.text(
                                "SELECT count(*) FROM erasure_outbox WHERE status = 'pending'"
                            )).scalar()
                        if not left:
                            break
                        time.sleep(0.01)
                    finished = time.perf_counter()
                finally:
                    restarted.stop()
                return {"claimed": len(claimed), "attempts": attempt,
                        "from_start": finished - restarted.started,
                        "from_ready": finished - restarted.ready}
        finally:
            engine.dispose()
    raise AssertionError("unreachable")


async def _load_then_kill(server: Serve, token: str, data: Path, clients: int,
                          seconds: float) -> None:
    async def kill_later() -> None:
        await asyncio.sleep(seconds)
        server.kill()

    killer = asyncio.create_task(kill_later())
    with contextlib.suppress(httpx.HTTPError):  # the server dies under the clients
        await _drive(server.base, token, data, clients, seconds * 10, erasure=False)
    await killer


async def _drive(base: str, token: str, data: Path, clients: int, seconds: int,
                 erasure: bool) -> dict:
    folder = data / "documents" / STATE
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"},
                                 limits=limits, timeout=60) as http:
        watcher = Watcher()
        thread = threading.Thread(target=watcher.run, daemon=True)
        if erasure:
            thread.start()
        counts: dict[str, int] = {}
        t0 = time.perf_counter()
        until = t0 + seconds
        await asyncio.gather(*(client(http, folder, watcher, until, counts)
                               for _ in range(clients)))
        elapsed = time.perf_counter() - t0
        requests = sum(counts.values())
        done_during = None
        if erasure:
            with watcher.lock:
                acknowledged = sum(len(v) for v in watcher.lags.values()) + len(watcher.pending)
                done_during = sum(len(v) for v in watcher.lags.values()) / max(1, acknowledged)
            watcher.stop.set()
            await asyncio.to_thread(thread.join, 600)
    return {"requests": requests, "rps": requests / elapsed, "statuses": counts,
            "done_during": done_during, "lags": watcher.lags if erasure else None}


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--on-only", action="store_true", help="skip the run with erasure off")
    args = parser.parse_args(argv)
    off = (run_load(args.clients, args.seconds, erasure=False) if not args.on_only
           else {"rps": float("nan"), "statuses": {}})
    on = run_load(args.clients, args.seconds, erasure=True)
    print(f"erasure lag under load ({args.clients} clients, {args.seconds} s, each creating, "
          f"replacing and deleting employees with 20 KB PDFs):")
    print(f"  requests: {on['rps']:,.0f}/s with erasure on, {off['rps']:,.0f}/s with it off "
          f"(statuses on {on['statuses']}, off {off['statuses']})")
    deletes, replaces = on["lags"]["delete"], on["lags"]["replace"]
    both = deletes + replaces
    print(f"  erased while the load ran: {on['done_during']:.0%} of acknowledged erasures")
    for name, lags in (("delete", deletes), ("replace", replaces)):
        print(f"  {name}s: {len(lags):,} acknowledged, lag p50 {statistics.median(lags):.3f} s "
              f"(target <= 1), p99 {pct(lags, 0.99):.3f} s (target <= 5), "
              f"max {max(lags):.3f} s")
    print(f"  all: p50 {statistics.median(both):.3f} s, p99 {pct(both, 0.99):.3f} s")
    resumed = resume_after_kill(args.clients)
    print(f"  serve SIGKILLed under load holding {resumed['claimed']} claimed erasures "
          f"(try {resumed['attempts']}); restarted, it finished them "
          f"{resumed['from_start']:.1f} s after it was started (target <= 5), "
          f"{resumed['from_ready']:.1f} s after it answered /healthz")


if __name__ == "__main__":
    main()
