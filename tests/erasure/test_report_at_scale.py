"""The compliance report of a state with a million receipts, in a real SQLite ledger, is written
out in bounded memory, every receipt in it, totals matching."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from humangov.adapters.sql import CACHE_KIB
from humangov.domain.erasure import REASONS

RECEIPTS = 1_000_000
SYNTHETIC = 7
REPO_ROOT = Path(__file__).resolve().parents[2]  # so the child imports `tests.erasure`
# What the report may add to the resident memory of the process writing it out: the ledger
# file pages SQLite maps (mmap_size, 32 MiB), its page cache (CACHE_KIB) and 24 MiB for a
# ledger page of rows, the chunks and the allocator's slack. Holding the receipts instead
# would take gigabytes: the JSON alone is about 300 bytes a receipt.
GROWTH_LIMIT_KIB = 32 * 1024 + CACHE_KIB + 24 * 1024

# Writes the report out and prints its resident peak over the resident size just before: the
# peak is reset first (Linux's clear_refs), so start-up and imports don't hide in it.
WRITER = textwrap.dedent("""
    import dataclasses, json, sys
    from pathlib import Path
    from humangov.bootstrap import bootstrap
    from humangov.config import Settings
    from tests.erasure.report_stream import read_streamed

    def kib(field):
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith(field))

    c = bootstrap(Settings(environment="test", data_dir=Path(sys.argv[1]), monitoring=False))
    with open("/proc/self/clear_refs", "w") as peak:
        peak.write("5")
    before = kib("VmRSS:")
    streamed = read_streamed(c.erasures.report("CA").json_chunks(), trace=False)
    growth = kib("VmHWM:") - before
    print(json.dumps({"growth_kib": growth, **dataclasses.asdict(streamed)}))
""")

# In SQLite, not row by row from Python: the same rows as a loop of f-strings, in seconds.
SEED = """
WITH RECURSIVE n(i) AS (SELECT :first UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :stop)
INSERT INTO erasure_receipts (state, key, size, sha256, versions, reason, change_id, actor,
                              requested_at, erased_at, result, synthetic)
SELECT 'CA', printf('%04d/%07d.pdf', i / 1000, i), 120000, printf('%064x', i), '["v1"]',
       json_extract(:reasons, '$[' || (i % :kinds) || ']'), 'change-' || i, 'ca_admin',
       '2026-01-01T00:00:00.000000+00:00', '2026-01-01T00:00:01.000000+00:00', 'erased',
       :synthetic
FROM n
"""


def _seed(conn, first: int, n: int, *, synthetic: bool) -> None:
    conn.execute(SEED, {"first": first, "stop": first + n, "reasons": json.dumps(REASONS),
                        "kinds": len(REASONS), "synthetic": synthetic})


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_million_receipts_stream_in_bounded_memory(container, settings):
    # GIVEN a million receipts of CA (and a few canary ones) written straight into the ledger
    conn = container.erasures.ledger.engine.raw_connection()
    try:
        conn.execute("BEGIN IMMEDIATE")  # one transaction: the engine's connections autocommit
        _seed(conn, 0, RECEIPTS, synthetic=False)
        _seed(conn, RECEIPTS, SYNTHETIC, synthetic=True)
        conn.commit()
    finally:
        conn.close()
    # WHEN the report is written out through the use case, in a process of its own
    child = subprocess.run([sys.executable, "-c", WRITER, str(settings.data_dir)],
                           cwd=REPO_ROOT, capture_output=True, check=True, timeout=540)
    streamed = json.loads(child.stdout)
    # THEN it lists every receipt, latest first, within a bounded peak of memory
    assert streamed["growth_kib"] < GROWTH_LIMIT_KIB, streamed["growth_kib"]
    assert streamed["receipts"] == RECEIPTS + SYNTHETIC
    assert streamed["keys_in_order"] == [f"0999/{i:07d}.pdf" for i in (999_999, 999_998, 999_997)]
    doc = streamed["document"]
    assert (doc["state"], doc["total_erased"], doc["synthetic_erased"]) == \
        ("CA", RECEIPTS, SYNTHETIC)
    assert doc["totals_by_reason"] == {
        reason: len(range(n, RECEIPTS, len(REASONS))) for n, reason in enumerate(REASONS)}
    # AND the totals agree with the ledger's own aggregate
    assert container.erasures.ledger.totals("CA", synthetic=False) == doc["totals_by_reason"]
