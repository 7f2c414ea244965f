import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from humangov.adapters.blobs.filesystem import FilesystemBlobStore
from humangov.adapters.erasure import build_erasure_adapters
from humangov.erasure.sweep import sweep

from .conftest import add, make_employee


@pytest.fixture
def parts(tmp_path, engine, sql_records, clock):
    blobs = FilesystemBlobStore(tmp_path / "documents")
    for state in ("CA", "TX"):
        blobs.provision_state(state)
    _, ledger = build_erasure_adapters(engine, clock)
    return blobs, sql_records, ledger


def test_the_sweep_finds_and_purges_orphans_and_reports_dangling_references(parts, clock):
    from humangov.adapters.clock import SystemClock

    blobs, records, ledger = parts
    kept = [add(records, make_employee(blobs=blobs)) for _ in range(3)]
    dangling = add(records, make_employee(blobs=None))
    blobs.put("CA", "00000000-orphan/x.pdf", [b"%PDF-orphan"])
    other_state = add(records, make_employee("TX", blobs=blobs))
    # WHEN the sweep runs with no grace
    result = sweep("CA", blobs=blobs, records=records, ledger=ledger, clock=SystemClock(),
                   grace=timedelta(0), do_purge=True)
    # THEN only the orphan is erased, with a receipt; the dangling record is reported
    assert [o.key for o in result.orphans] == ["00000000-orphan/x.pdf"]
    assert [(d.employee_id, d.key) for d in result.dangling] == [
        (dangling.id, dangling.document.key)
    ]
    assert (result.scanned_files, result.scanned_records, result.purged) == (4, 4, 1)
    assert not blobs.exists("CA", "00000000-orphan/x.pdf")
    assert all(blobs.exists("CA", e.document.key) for e in kept)
    assert blobs.exists("TX", other_state.document.key)
    [receipt] = ledger.receipts("CA", limit=5, cursor=None)[0]
    assert receipt.reason == "orphan-sweep" and receipt.sha256 and receipt.size == 11
    assert ledger.latest_sweep("CA").orphans == 1


def test_files_younger_than_the_grace_period_are_left_alone(parts):
    from humangov.adapters.clock import SystemClock

    blobs, records, ledger = parts
    blobs.put("CA", "ab/fresh.pdf", [b"%PDF-"])
    result = sweep("CA", blobs=blobs, records=records, ledger=ledger, clock=SystemClock(),
                   grace=timedelta(hours=24), do_purge=True)
    assert result.orphans == [] and result.scanned_files == 1
    assert blobs.exists("CA", "ab/fresh.pdf")


def test_a_sweep_of_an_empty_state_reports_nothing(parts, clock):
    blobs, records, ledger = parts
    result = sweep("CA", blobs=blobs, records=records, ledger=ledger, clock=clock,
                   grace=timedelta(0), do_purge=True)
    assert result.to_json() == {"state": "CA", "orphans": [], "foreign": [], "dangling": [],
                                "scanned_files": 0, "scanned_records": 0}


def _cli(tmp_path, *args):
    env = {**os.environ, "HUMANGOV_DATA_DIR": str(tmp_path), "HUMANGOV_ENVIRONMENT": "test",
           "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "humangov", *args], capture_output=True, text=True,
                          env=env, timeout=60, check=False)


@pytest.mark.slow
def test_orphans_scan_prints_the_documented_json_and_refuses_a_malformed_grace(tmp_path):
    from humangov.bootstrap import bootstrap
    from humangov.config import Settings

    container = bootstrap(Settings(data_dir=tmp_path, environment="test"))
    container.personnel.add_state("CA")
    container.blobs.put("CA", "ff/orphan.pdf", [b"%PDF-x"])
    container.close()
    (tmp_path / "documents" / "CA" / "legacy_john.pdf").write_bytes(b"%PDF-legacy")

    bad = _cli(tmp_path, "orphans", "scan", "--state", "CA", "--grace", "soon")
    assert bad.returncode == 2
    assert ("Invalid value for '--grace': must be a duration such as 90s, 30m, 24h or 7d; "
            "got 'soon'.") in bad.stderr
    assert "Traceback" not in bad.stderr

    ok = _cli(tmp_path, "orphans", "scan", "--state", "ca", "--grace", "0s", "--format", "json")
    assert ok.returncode == 0, ok.stderr
    out = orjson.loads(ok.stdout)
    assert [o["key"] for o in out["orphans"]] == ["ff/orphan.pdf"]
    assert set(out["orphans"][0]) == {"key", "size", "last_modified"}
    assert (out["state"], out["dangling"]) == ("CA", [])
    assert out["foreign"] == [{"path": "legacy_john.pdf", "size": 11,
                               "last_modified": out["foreign"][0]["last_modified"]}]
    assert (out["scanned_files"], out["scanned_records"]) == (2, 0)
    table = _cli(tmp_path, "orphans", "scan", "--state", "CA", "--grace", "0s")
    assert "legacy_john.pdf" in table.stdout and "2 orphaned file(s)" in table.stdout

    report = _cli(tmp_path, "compliance", "report", "--state", "CA", "--format", "html")
    assert report.returncode == 0, report.stderr
    assert "Document erasure report for California" in report.stdout
    assert "The last full check of storage ran on" in report.stdout


def _chunked(keys, sizes, *, shuffle=False):
    """Split sorted `keys` into consecutive lists of the given sizes (the last takes the rest),
    shuffled if asked: list_key_chunks promises order between chunks only."""
    import random

    out, i = [], 0
    for n in [*sizes, len(keys)]:
        part = keys[i:i + n]
        if shuffle:
            random.Random(n).shuffle(part)
        out.append(part)
        i += n
    return out


@pytest.mark.parametrize("file_sizes, ref_sizes", [
    ([1], [1]), ([3, 0, 2], [7]), ([100], [1, 1, 1]), ([2, 5, 1], [4, 4]), ([], []),
])
def test_the_chunked_merge_finds_exactly_the_unreferenced_and_missing_keys_in_order(
    file_sizes, ref_sizes
):
    from humangov.erasure.sweep import merge_chunks

    # GIVEN files and references that overlap, with references before, between and after
    # the files, and one key held by two records
    files = sorted(["ab/1", "ab/2", "ab/3", "cd/1", "cd/2", "ef/1", "ef/2", "ef/3"])
    refs = sorted(["aa/0", "ab/1", "ab/3", "ab/3", "cd/1", "cd/2", "cd/9", "ef/2", "zz/1"])
    # WHEN they are merged in any chunking
    file_chunks = _chunked(files, file_sizes, shuffle=True)
    rounds = list(merge_chunks(file_chunks, [r for r in _chunked(refs, ref_sizes) if r]))
    # THEN the differences come out in key order and every object is counted once
    assert [k for r in rounds for k in r[0]] == ["ab/2", "ef/1", "ef/3"]
    assert [k for r in rounds for k in r[1]] == ["aa/0", "cd/9", "zz/1"]
    assert (sum(r[2] for r in rounds), sum(r[3] for r in rounds)) == (len(files), len(refs))


def test_a_dangling_reference_names_the_employee_whose_file_is_missing(parts):
    from humangov.adapters.clock import SystemClock
    from humangov.erasure.sweep import scan

    blobs, records, _ = parts
    # GIVEN orphans around a record whose file is missing
    gone = add(records, make_employee(blobs=None))
    before, after = "00/orphan.pdf", "ff/orphan.pdf"
    for k in (before, after):
        blobs.put("CA", k, [b"%PDF-"])
    # WHEN scanned
    result = scan("CA", blobs=blobs, records=records, now=SystemClock().now(), grace=timedelta(0))
    # THEN both orphans and the dangling reference (with its employee) are reported
    assert [o.key for o in result.orphans] == [before, after]
    assert result.dangling[0].employee_id == gone.id and len(result.dangling) == 1
    assert (result.scanned_files, result.scanned_records) == (2, 1)


PARALLEL_SCAN = """
import contextlib, os
from datetime import datetime, timedelta
from pathlib import Path
import orjson
from humangov.adapters.blobs.filesystem import FilesystemBlobStore
from humangov.adapters.records.sqlite import SqliteRecordStore
from humangov.adapters.sql import open_database
from humangov.bootstrap import EmbeddedStores
from humangov.erasure.sweep import scan

opened = Path({opened!r})
stores = EmbeddedStores(Path({documents!r}), Path({database!r}))

@contextlib.contextmanager
def open_stores():  # the composition root's opener, noting which process used it
    (opened / str(os.getpid())).touch()
    with stores() as pair:
        yield pair

blobs = FilesystemBlobStore(Path({documents!r}))
records = SqliteRecordStore(open_database(Path({database!r})))
result = scan("CA", blobs=blobs, records=records, now=datetime.fromisoformat({now!r}),
              grace=timedelta(0), workers=2, open_stores=open_stores)
workers = [p for p in opened.iterdir() if p.name != str(os.getpid())]
print(orjson.dumps({{"workers": len(workers), "result": result.to_json()}}).decode())
"""


def test_a_scan_in_two_worker_processes_finds_exactly_what_one_process_finds(parts, tmp_path):
    import uuid
    from dataclasses import replace

    from humangov.adapters.clock import SystemClock
    from humangov.erasure.sweep import scan

    blobs, records, _ = parts
    # GIVEN documents under 16 fan-out folders, and in each half of the key range (split at
    # the median folder) kept files, orphans and records whose file is missing
    for i in range(16):
        employee = make_employee()
        eid = str(uuid.UUID(int=(i << 124) | uuid.UUID(employee.id).int % (1 << 124)))
        document = replace(employee.document, key=f"{eid}/doc.pdf")
        employee = replace(employee, id=eid, document=document)
        if i % 4 != 3:
            blobs.put("CA", employee.document.key, [b"%PDF-1.7\n"])
        add(records, employee)
        if i % 5 == 0:
            blobs.put("CA", f"{eid}/orphan.pdf", [b"%PDF-orphan"])
    add(records, make_employee("TX", blobs=blobs))
    [split] = blobs.key_split_points("CA", 2)
    # AND files HumanGov never named: at the root, in a nested folder, and in fan-out folders
    # on both sides of the split (a dot-file, a killed upload's temporary, a foreign name)
    state_dir = Path(blobs.root) / "CA"
    fans = sorted(p.name for p in state_dir.iterdir() if p.is_dir())
    planted = ["legacy_john.pdf", "old/2019/x.pdf", f"{fans[0]}/.DS_Store",
               f"{fans[0]}/nested/y.pdf", f"{fans[-1]}/.tmpdead.tmp",
               f"{fans[-1]}/0b7a1e7c-5d2f-4c8e-9a61-3f0e2b7d9c14.pdf"]
    for path in planted:
        (state_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (state_dir / path).write_bytes(b"%PDF-legacy")
    now = SystemClock().now()
    # WHEN scanned in this process, and in two workers forked from a fresh single-threaded
    # interpreter (as the CLI is; this test process may hold other tests' threads)
    one = scan("CA", blobs=blobs, records=records, now=now, grace=timedelta(0))
    opened = tmp_path / "opened"
    opened.mkdir()
    script = PARALLEL_SCAN.format(documents=str(blobs.root), database=records.engine.url.database,
                                  opened=str(opened), now=now.isoformat())
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    two = orjson.loads(out.stdout.splitlines()[-1])
    # THEN two other processes did the join, and the results are identical, with orphans and
    # dangling references on both sides of the split
    assert two["workers"] == 2 and two["result"] == orjson.loads(orjson.dumps(one.to_json()))
    assert {o.key < split for o in one.orphans} == {True, False}
    assert {d.key < split for d in one.dangling} == {True, False}
    assert (len(one.orphans), len(one.dangling)) == (4, 4)
    assert [f.key for f in one.foreign] == sorted(planted)
    assert (one.scanned_files, one.scanned_records) == (16 + len(planted), 16)
