"""The sweep sees every file in a state's folder, whatever its name (filesystem store)."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest

from humangov.adapters.blobs.filesystem import FilesystemBlobStore
from humangov.adapters.clock import SystemClock
from humangov.adapters.erasure import build_erasure_adapters
from humangov.erasure.sweep import sweep
from tests.stored import stored_files

from .conftest import add, make_employee

HOUR = 3600

# Paths relative to the state's folder that HumanGov never names, each older than the grace.
PLANTED = [
    "legacy_john.pdf",                                      # at the state's root
    ".DS_Store",                                            # a dot-file at the root
    "zz/0b7a1e7c-5d2f-4c8e-9a61-3f0e2b7d9c14.pdf",           # in another fan-out folder
    "zz/.DS_Store",                                         # a dot-file in a fan-out folder
    "zz/.tmpk3j2h1.tmp",                                    # a killed upload's temporary
    "zz/zz%41.pdf",                                         # not a name encode_name writes
    "zz/scans/2019/old.pdf",                                # nested inside a fan-out folder
    "old scans/2019/jane doe.pdf",                          # a nested folder at the root
    ".trash/x.pdf",                                         # a dot-folder at the root
]


def plant(root, path: str, age: float, data: bytes = b"%PDF-1.4 legacy") -> None:
    file = root / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(data)
    then = time.time() - age
    os.utime(file, (then, then))


def files_on_disk(folder) -> int:
    return len(stored_files(folder))


@pytest.fixture
def parts(tmp_path, engine, sql_records, clock):
    blobs = FilesystemBlobStore(tmp_path / "documents")
    blobs.provision_state("CA")
    _, ledger = build_erasure_adapters(engine, clock)
    return blobs, sql_records, ledger


def test_every_file_in_the_state_folder_is_referenced_or_reported_and_purged_by_path(parts):
    blobs, records, ledger = parts
    # GIVEN kept documents, a HumanGov orphan, and files HumanGov never named (among them
    # upload temporaries older and younger than the grace) in the state's folder
    kept = [add(records, make_employee(blobs=blobs)) for _ in range(3)]
    blobs.put("CA", "zzzz0000-orphan/x.pdf", [b"%PDF-orphan"])
    state_root = Path(blobs.root) / "CA"
    folder = str(state_root)
    for path in PLANTED:
        plant(state_root, path, age=2 * HOUR)
    plant(state_root, "zz/.tmpyoung.tmp", age=60)
    zz_orphan = state_root / "zz" / "zzzz0000-orphan%2Fx.pdf"
    os.utime(zz_orphan, (time.time() - 2 * HOUR,) * 2)
    on_disk = files_on_disk(folder)
    # WHEN scanned with an hour's grace, then swept with purge
    result = sweep("CA", blobs=blobs, records=records, ledger=ledger, clock=SystemClock(),
                   grace=timedelta(hours=1), do_purge=False)
    # THEN every file is counted; the HumanGov orphan is reported by key, the others by path,
    # except the upload still younger than the grace
    assert result.scanned_files == on_disk == len(PLANTED) + 1 + len(kept) + 1
    assert [o.key for o in result.orphans] == ["zzzz0000-orphan/x.pdf"]
    assert [f.key for f in result.foreign] == sorted(PLANTED)
    assert result.to_json()["foreign"][0]["path"] == sorted(PLANTED)[0]
    purged = sweep("CA", blobs=blobs, records=records, ledger=ledger, clock=SystemClock(),
                   grace=timedelta(hours=1), do_purge=True)
    # AND a purge erases each of them with a receipt naming its path; the young upload and
    # the referenced documents stay
    assert purged.purged == len(PLANTED) + 1
    receipts = ledger.receipts("CA", limit=50, cursor=None)[0]
    assert sorted(r.key for r in receipts) == sorted([*PLANTED, "zzzz0000-orphan/x.pdf"])
    assert all(r.result == "erased" and r.size for r in receipts)
    left = sorted(os.path.relpath(path, folder) for path in stored_files(folder))
    assert left == sorted(["zz/.tmpyoung.tmp", *(
        f"{e.document.key[:2]}/{e.document.key.replace('/', '%2F')}" for e in kept)])
    assert not (state_root / "old scans").exists()  # emptied folders go with their files
    assert ledger.latest_sweep("CA").orphans == len(PLANTED) + 1


def test_a_path_outside_the_state_folder_is_refused(parts):
    from humangov.domain.errors import InvalidInput

    blobs, _, _ = parts
    for path in ["../TX/x.pdf", "/etc/passwd", "zz/../../x"]:
        with pytest.raises(InvalidInput):
            blobs.foreign_files().delete("CA", path)
