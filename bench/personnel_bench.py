"""Issue 2's figures: GET one, list a page of 50 among 100,000, create with a 200 KB PDF, CSV
import, each beside a bare Starlette hello app measured in the same run with the same server
(uvicorn, one worker, uvloop + httptools) and the same client (wrk, 32 connections)."""

from __future__ import annotations

import io
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

from bench.loadgen import server, wrk

ROWS = 100_000
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))


def make_csv(rows: int) -> str:
    rnd = random.Random(7)
    firsts = ["Ada", "Grace", "Alan", "Joan", "Katherine", "Dorothy", "Mary", "Edsger", "Barbara",
              "Donald"]
    lasts = ["Lovelace", "Hopper", "Turing", "Clarke", "Johnson", "Vaughan", "Jackson", "Dijkstra",
             "Liskov", "Knuth"]
    roles = ["Analyst", "Clerk", "Engineer", "Inspector", "Nurse", "Officer", "Teacher"]
    out = io.StringIO()
    out.write("first_name,last_name,role,salary\n")
    for i in range(rows):
        first, last, role = rnd.choice(firsts), rnd.choice(lasts), rnd.choice(roles)
        out.write(f"{first},{last}{i},{role},{rnd.randint(30, 200) * 1000}.00\n")
    return out.getvalue()


def pdf_of(size: int) -> bytes:
    head = b"%PDF-1.4\n% HumanGov benchmark document\n"
    return head + b"0" * (size - len(head) - 6) + b"\n%%EOF"


def prepare(data_dir: Path) -> dict:
    from humangov.bootstrap import bootstrap
    from humangov.cli.common import no_cyclic_gc
    from humangov.config import Settings
    from humangov.personnel.importer import import_csv

    c = bootstrap(Settings(data_dir=data_dir, monitoring=False, environment="test"))
    c.personnel.add_state("CA")
    c.personnel.add_state("TX")
    text = make_csv(ROWS)
    started = time.perf_counter()
    with no_cyclic_gc():  # as `humangov employees import` runs it
        count = import_csv(c.personnel, "CA", io.StringIO(text), "bench").added
    import_rate = count / (time.perf_counter() - started)
    fields = {"first_name": "Bench", "last_name": "Mark", "role": "Probe", "salary": "1"}
    one = c.personnel.add_employee("CA", fields, io.BytesIO(pdf_of(200_000)), "bench")
    token, _ = c.accounts.create_token("editor", "CA", "bench")
    c.close()
    return {"import_rows_per_s": import_rate, "employee_id": one.id, "token": token}


def create_script(tmp: Path, pdf: bytes) -> Path:
    boundary = "humangovbench"
    parts = []
    fields = (("first_name", "Load"), ("last_name", "Test"), ("role", "Probe"), ("salary", "50000"))
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())
    parts.append(f"--{boundary}\r\n"
                 'Content-Disposition: form-data; name="document"; filename="id.pdf"\r\n'
                 "Content-Type: application/pdf\r\n\r\n".encode() + pdf + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    body = tmp / "body.bin"
    body.write_bytes(b"".join(parts))
    script = tmp / "create.lua"
    script.write_text(
        f'local f = io.open("{body}", "rb")\nwrk.method = "POST"\n'
        'wrk.body = f:read("*all")\nf:close()\n'
        f'wrk.headers["Content-Type"] = "multipart/form-data; boundary={boundary}"\n'
    )
    return script


def main() -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix="humangov-bench-"))
    try:
        print(f"preparing {ROWS:,} employees in CA ...", flush=True)
        prep = prepare(tmp / "var")
        auth = {"Authorization": f"Bearer {prep['token']}"}
        with server("hello") as base:
            wrk(base + "/", seconds=2)  # warm up
            hello = wrk(base + "/", seconds=SECONDS)
        with server("humangov", tmp / "var") as base:
            one_url = f"{base}/api/v1/states/CA/employees/{prep['employee_id']}"
            wrk(one_url, seconds=2, headers=auth)
            get_one = wrk(one_url, seconds=SECONDS, headers=auth)
            list_url = f"{base}/api/v1/states/CA/employees?limit=50"
            listing = wrk(list_url, seconds=SECONDS, headers=auth)
            tx_auth = {"Authorization": f"Bearer {_tx_token(tmp)}"}
            create = wrk(f"{base}/api/v1/states/TX/employees", seconds=max(3, SECONDS // 2),
                         headers=tx_auth, script=create_script(tmp, pdf_of(200_000)))
        rows = [
            {"figure": "hello app (baseline)", "rps": hello.rps, "p50": hello.p50_ms,
             "p99": hello.p99_ms, "target": "-", "errors": hello.errors},
            {"figure": "GET one employee", "rps": get_one.rps, "p50": get_one.p50_ms,
             "p99": get_one.p99_ms, "target": f">= 20% of hello ({get_one.rps / hello.rps:.0%})",
             "ok": get_one.rps >= 0.2 * hello.rps, "errors": get_one.errors},
            {"figure": "list 50 of 100,000", "rps": listing.rps, "p50": listing.p50_ms,
             "p99": listing.p99_ms,
             "target": f">= 15% of hello ({listing.rps / hello.rps:.0%}), p99 <= 25 ms",
             "ok": listing.rps >= 0.15 * hello.rps and listing.p99_ms <= 25,
             "errors": listing.errors},
            {"figure": "create with 200 KB PDF", "rps": create.rps, "p50": create.p50_ms,
             "p99": create.p99_ms, "target": "-", "errors": create.errors},
            {"figure": "CSV import", "rps": prep["import_rows_per_s"], "p50": None, "p99": None,
             "target": ">= 20,000 rows/s", "ok": prep["import_rows_per_s"] >= 20_000, "errors": 0},
        ]
        print_rows("Personnel API (issue 2)", rows)
        return rows
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _tx_token(tmp: Path) -> str:
    from humangov.bootstrap import bootstrap
    from humangov.config import Settings

    c = bootstrap(Settings(data_dir=tmp / "var", monitoring=False, environment="test"))
    token, _ = c.accounts.create_token("editor", "TX", "bench-tx")
    c.close()
    return token


def print_rows(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    print(f"{'figure':<26} {'req/s or rows/s':>16} {'p50 ms':>8} {'p99 ms':>8}  target")
    for r in rows:
        p50 = f"{r['p50']:.2f}" if r.get("p50") is not None else "-"
        p99 = f"{r['p99']:.2f}" if r.get("p99") is not None else "-"
        verdict = "" if "ok" not in r else ("  PASS" if r["ok"] else "  MISS")
        errors = f"  ({r['errors']} errors)" if r.get("errors") else ""
        print(f"{r['figure']:<26} {r['rps']:>16,.0f} {p50:>8} {p99:>8}  "
              f"{r['target']}{verdict}{errors}")


if __name__ == "__main__":
    main()
