"""Store-level figures for the embedded adapters: `python -m bench.store_bench [N]`.

Times are per call, as process CPU time (stable on a shared machine) and wall time.
"""

from __future__ import annotations

import os
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from humangov.adapters.blobs.filesystem import FilesystemBlobStore, encode_name
from humangov.adapters.records.sqlite import SqliteRecordStore
from humangov.adapters.sql import open_database
from humangov.domain.model import DocumentRef, Employee, FieldChange, HistoryEntry
from humangov.domain.states import state_for


def timed(label: str, fn, n: int) -> None:
    fn()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<34} {cpu / n * 1e6:9.1f} us cpu {wall / n * 1e6:9.1f} us wall")


def records(root: Path, n: int) -> None:
    store = SqliteRecordStore(open_database(root / "humangov.db"))
    store.add_state(state_for("CA"))
    now = datetime.now(UTC)
    names = [f"Name{i}" for i in range(3000)]
    people, entries = [], []
    for _ in range(n):
        eid = str(uuid.uuid4())
        e = Employee(eid, "CA", random.choice(names), random.choice(names), "Clerk",
                     Decimal("55000.00"), DocumentRef.new(eid, 1000, "ab" * 32), now, now)
        people.append(e)
        entries.append(HistoryEntry(eid, "CA", "added", "bench", now, tuple(
            FieldChange(f, None, "x") for f in ("first_name", "last_name", "role", "salary"))))
    wall = time.perf_counter()
    store.add_employees(people, entries)
    print(f"{'add_employees':<34} {n / (time.perf_counter() - wall):9,.0f} rows/s wall")
    ids = [p.id for p in random.sample(people, 500)]
    it = iter(ids * 10)
    timed("get_employee", lambda: store.get_employee("CA", next(it)), 2000)
    cursor = store.list_employees("CA", q=None, limit=50, cursor=None).next_cursor
    def page(q: str | None, after: str | None = None):
        return lambda: store.list_employees("CA", q=q, limit=50, cursor=after)

    timed("list_employees page of 50", page(None, cursor), 500)
    timed("list_employees q=<common>", page("name1"), 100)
    timed("list_employees q=<no match>", page("zzz"), 5)
    wall = time.perf_counter()
    count = sum(1 for _ in store.iter_document_refs("CA"))
    print(f"{'iter_document_refs':<34} {count / (time.perf_counter() - wall):9,.0f} refs/s wall")
    store.engine.dispose()


def blobs(root: Path, n: int) -> None:
    base = root / "documents" / "CA"
    for _ in range(n):
        e, d = str(uuid.uuid4()), str(uuid.uuid4())
        (base / e[:2]).mkdir(parents=True, exist_ok=True)
        (base / e[:2] / encode_name(f"{e}/{d}.pdf")).write_bytes(b"%PDF-")
    store = FilesystemBlobStore(root / "documents")
    store.provision_state("CA")  # marks the folder written above as CA's
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    wall = time.perf_counter()
    count = sum(1 for _ in store.list("CA"))
    rate = count / (time.perf_counter() - wall)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{'FilesystemBlobStore.list':<34} {rate:9,.0f} keys/s wall, "
          f"max RSS {before // 1024} -> {after // 1024} MiB")


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(f"{size:,} employees / documents, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        blobs(Path(tmp), size)
        records(Path(tmp), size)
