"""Erasure benchmarks: delete-to-gone lag under load (bench/erasure_lag.py) and on an idle
server, and orphan-sweep throughput against a naive per-object cleanup script, side by side.

    python -m bench.erasure_bench [--files 1000000] [--deletes 1000] [--naive-sample 100000]

The sweep dataset (files in the filesystem store's layout plus a SQLite database) is cached
under bench/out/ and reused. Each sweep runs in a child process so its peak RSS (VmHWM) is its own.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
STATE = "CA"
PAIRS = 5
PDF = b"%PDF-1.7\n%bench\n"
SHA = hashlib.sha256(PDF).hexdigest()


# (a) latency -----------------------------------------------------------------------------
def latency(deletes: int) -> dict:
    """Over HTTP against `humangov serve` (its in-process worker): from the DELETE response to
    the file being gone from the document folder."""
    import io
    import socket

    import httpx

    from humangov.bootstrap import bootstrap
    from humangov.config import Settings

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        container = bootstrap(Settings(data_dir=data, environment="test"))
        container.personnel.add_state(STATE)
        employees = [container.personnel.add_employee(
            STATE, {"first_name": "A", "last_name": f"B{i}", "role": "Clerk", "salary": "1"},
            io.BytesIO(PDF), "bench") for i in range(deletes)]
        token, _ = container.accounts.create_token("editor", STATE, "bench")
        container.close()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {**os.environ, "HUMANGOV_DATA_DIR": str(data), "HUMANGOV_PORT": str(port),
               "HUMANGOV_MONITORING": "false", "HUMANGOV_ADMIN_PASSWORD": "bench-admin-password"}
        server = subprocess.Popen([sys.executable, "-m", "humangov", "serve"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        samples = []
        try:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
                for _ in range(300):
                    try:
                        if http.get("/healthz").status_code == 200:
                            break
                    except httpx.HTTPError:
                        time.sleep(0.1)
                for e in employees:
                    path = container.blobs._path(STATE, e.document.key)
                    response = http.delete(f"/api/v1/states/{STATE}/employees/{e.id}")
                    t0 = time.perf_counter()
                    assert response.status_code == 204, response.text
                    while os.path.exists(path):
                        time.sleep(0.0002)
                    samples.append((time.perf_counter() - t0) * 1000)
        finally:
            server.terminate()
            server.wait(10)
    samples.sort()
    return {"deletes": deletes, "p50_ms": statistics.median(samples),
            "p99_ms": samples[int(len(samples) * 0.99) - 1], "max_ms": samples[-1]}


# (b) sweep throughput --------------------------------------------------------------------
def dataset(files: int) -> Path:
    """`files` files, 1% of them orphans; the rest referenced by one record each. Cached."""
    from humangov.adapters.blobs.filesystem import encode_name
    from humangov.adapters.records.sqlite import SqliteRecordStore
    from humangov.adapters.sql import open_database
    from humangov.domain.model import DocumentRef, Employee
    from humangov.domain.states import state_for

    root = OUT / f"sweep-v2-{files}"
    if (root / "READY").exists():
        return root
    root.mkdir(parents=True, exist_ok=True)
    old = time.time() - 3 * 86400
    engine = open_database(root / "humangov.db")
    records = SqliteRecordStore(engine)
    records.add_state(state_for(STATE))
    now = datetime.now(UTC)
    batch: list = []
    docs = root / "documents" / STATE
    made_dirs: set[str] = set()
    for i in range(files):
        # Spread like real (random) UUIDs, so the store's 256 fan-out folders fill evenly.
        eid = str(uuid.UUID(bytes=hashlib.md5(b"e%d" % i).digest()))
        ref = DocumentRef.new(eid, len(PDF), SHA, document_id=str(uuid.UUID(int=i + 1)))
        fan = docs / ref.key[:2]
        if ref.key[:2] not in made_dirs:
            fan.mkdir(parents=True, exist_ok=True)
            made_dirs.add(ref.key[:2])
        path = os.fspath(fan / encode_name(ref.key))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, PDF)
        os.close(fd)
        os.utime(path, (old, old))
        if i % 100 != 0:  # every hundredth file is an orphan
            batch.append(
                Employee(eid, STATE, "A", f"B{i}", "Clerk", Decimal("1.00"), ref, now, now)
            )
        if len(batch) >= 20_000:
            records.add_employees(batch, [])
            batch.clear()
    records.add_employees(batch, [])
    engine.dispose()
    (root / "READY").write_text("ok")
    return root


# Memory of a process tree. VmHWM counts every resident page, so summing the parent's and its
# forked workers' would count their shared pages (the interpreter, imported modules, copied
# on write at fork and mostly never written) two or three times. PSS charges each shared page
# 1/n to each of the n processes sharing it, so the sum of PSS is what the tree really holds.
# The kernel keeps no peak PSS, hence a separate sampling process (a thread in the sweep's
# process would make it multi-threaded, and the sweep would rightly refuse to fork).
SAMPLER = r"""
import os, select, sys
root = int(sys.argv[1])
def kb(path, field):
    try:
        with open(path) as f:
            return next((int(l.split()[1]) for l in f if l.startswith(field)), 0)
    except OSError:
        return 0
def tree(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(k) for k in f.read().split()]
    except OSError:
        kids = []
    return [pid] + [p for k in kids if k != os.getpid() for p in tree(k)]
peak = workers = 0
while not select.select([sys.stdin], [], [], 0.02)[0]:
    pids = tree(root)
    total = sum(kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids)
    if total > peak:
        peak, workers = total, len(pids) - 1
print(peak, workers, flush=True)
"""


def sweep_child(root: str, mode: str, limit: int) -> None:
    from humangov.adapters.blobs.filesystem import FilesystemBlobStore
    from humangov.adapters.records.sqlite import SqliteRecordStore
    from humangov.adapters.sql import open_database
    from humangov.bootstrap import EmbeddedStores
    from humangov.erasure.sweep import scan

    engine = open_database(Path(root) / "humangov.db")
    records = SqliteRecordStore(engine)
    blobs = FilesystemBlobStore(Path(root) / "documents")
    blobs.provision_state(STATE)  # marks the folder `dataset` wrote as the state's
    cutoff = datetime.now(UTC) - timedelta(hours=24)
    sampler = subprocess.Popen([sys.executable, "-c", SAMPLER, str(os.getpid())],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    t0, c0 = time.perf_counter(), time.process_time()
    if mode == "merge":
        result = scan(STATE, blobs=blobs, records=records, now=datetime.now(UTC),
                      grace=timedelta(hours=24), workers=2,
                      open_stores=EmbeddedStores(Path(root) / "documents",
                                                 Path(root) / "humangov.db"))
        orphans = len(result.orphans)
        objects = result.scanned_files + result.scanned_records
    else:
        # What a hand-written cleanup does to produce the same report as the sweep, one object
        # at a time: for each file, look its record up (orphans); for each record, look its
        # file up (dangling references). Half the sample each way.
        orphans = files = refs = 0
        for info in blobs.list(STATE):
            files += 1
            if not records.is_referenced(STATE, info.key) and info.last_modified < cutoff:
                orphans += 1
            if files >= limit // 2:
                break
        for key, _employee_id in records.iter_document_refs(STATE):
            refs += 1
            blobs.exists(STATE, key)  # a missing file would be a dangling reference
            if refs >= limit // 2:
                break
        objects = files + refs
    elapsed = time.perf_counter() - t0
    # CPU of this process and of its workers (children are counted once they have been joined).
    cpu = time.process_time() - c0 + sum(os.times()[2:4])
    peak_pss, workers = (int(v) for v in sampler.communicate("stop\n", timeout=30)[0].split())
    with open("/proc/self/status") as status:
        hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    print(json.dumps({"objects": objects, "orphans": orphans, "seconds": elapsed,
                      "objects_per_s": objects / elapsed, "cpu_seconds": cpu,
                      "peak_rss_mb": hwm / 1024, "peak_pss_mb": peak_pss / 1024,
                      "processes": 1 + workers}))


def run_child(root: Path, mode: str, limit: int) -> dict:
    command = [sys.executable, "-m", "bench.erasure_bench", "--child", str(root), mode, str(limit)]
    out = subprocess.run(command, check=True, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent)
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        sweep_child(argv[1], argv[2], int(argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1_000_000)
    parser.add_argument("--deletes", type=int, default=1000)
    parser.add_argument("--naive-sample", type=int, default=100_000,
                        help="objects the naive script runs over; its rate is per object")
    args = parser.parse_args(argv)

    from bench import erasure_lag

    erasure_lag.main([])  # lag under load, beside the same load with erasure off
    lat = latency(args.deletes)
    print(f"erasure latency over {lat['deletes']} deletes (HTTP DELETE response -> file gone): "
          f"p50 {lat['p50_ms']:.1f} ms (target <= 50), p99 {lat['p99_ms']:.1f} ms (target <= 250), "
          f"max {lat['max_ms']:.1f} ms")

    t0 = time.perf_counter()
    root = dataset(args.files)
    print(f"dataset {root} ready in {time.perf_counter() - t0:.0f} s "
          f"({args.files:,} files, 1% orphans)")
    # Paired runs, alternating, because this shared machine moves either side by a third from
    # one run to the next; the median ratio is the figure, every pair is printed.
    pairs = []
    for _ in range(PAIRS):
        fast = run_child(root, "merge", 0)
        naive = run_child(root, "naive", args.naive_sample)
        pairs.append((fast["objects_per_s"] / naive["objects_per_s"], fast, naive))
        print(f"sweep merge-join: {fast['objects']:,} objects in {fast['seconds']:.2f} s = "
              f"{fast['objects_per_s']:,.0f} objects/s (target >= 200,000; "
              f"{fast['cpu_seconds']:.1f} s CPU in "
              f"{fast['processes']} processes), memory: peak PSS summed over the processes "
              f"{fast['peak_pss_mb']:.0f} MB (target <= 150; the main process alone: peak RSS "
              f"{fast['peak_rss_mb']:.0f} MB), {fast['orphans']:,} orphans")
        print(f"  per-object script (same report: each file's record, each record's file): "
              f"{naive['objects']:,} objects in {naive['seconds']:.2f} s = "
              f"{naive['objects_per_s']:,.0f} objects/s, peak RSS {naive['peak_rss_mb']:.0f} MB; "
              f"ratio {pairs[-1][0]:.1f}x")
    ratios = sorted(r for r, _, _ in pairs)
    print(f"speed-up: median {statistics.median(ratios):.1f}x over {PAIRS} paired runs "
          f"(range {ratios[0]:.1f}x to {ratios[-1]:.1f}x; target >= 20x)")

if __name__ == "__main__":
    main()
