"""AWS-path benchmarks against moto (an emulator): stream worker throughput and the sweep on S3.

    .venv/bin/python bench/aws_bench.py [--records 300] [--objects 1000]

These are EMULATOR figures: moto_server on 127.0.0.1 answers in microseconds where real
DynamoDB, DynamoDB Streams and S3 answer in milliseconds, and moto is single-process Python.
They show our own overhead and that the code paths work at volume, not AWS's throughput.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from humangov.config import Settings


def _env(endpoint: str) -> None:
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1",
                       "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled", "AWS_ENDPOINT_URL": endpoint})


@contextmanager
def round_trip(seconds: float) -> Iterator[None]:
    """Every AWS call waits `seconds` before it is sent: the network round trip moto, on
    127.0.0.1, does not have (DynamoDB and S3 answer in a few milliseconds from Lambda)."""
    from botocore.endpoint import Endpoint

    send = Endpoint._send

    def slow_send(self, request):
        time.sleep(seconds)
        return send(self, request)

    Endpoint._send = slow_send  # type: ignore[method-assign]
    try:
        yield
    finally:
        Endpoint._send = send  # type: ignore[method-assign]


def bench_handler_concurrency(settings, n: int, rtt: float) -> tuple[float, float]:
    """Records erased per second by the stream handler with 1 thread and with its
    WORKERS threads, each AWS call delayed by `rtt`: what erasing a batch's items at once buys
    on AWS, where every call waits on the network."""
    from humangov.aws import stream_cleanup

    rates = []
    for workers, state in ((1, "NY"), (stream_cleanup.WORKERS, "WA")):
        saved, stream_cleanup.WORKERS = stream_cleanup.WORKERS, workers
        try:
            with round_trip(rtt):
                rates.append(bench_stream_worker(settings, n, state=state))
        finally:
            stream_cleanup.WORKERS = saved
    return rates[0], rates[1]


def bench_stream_worker(settings, n: int, state: str = "CA") -> float:
    from decimal import Decimal

    from humangov.adapters.clock import SystemClock
    from humangov.bootstrap import bootstrap
    from humangov.bootstrap import stream_worker as build_stream_worker
    from humangov.domain.model import DocumentRef, Employee, FieldChange, HistoryEntry

    c = bootstrap(settings)
    c.personnel.add_state(state)
    now = SystemClock().now()
    people = []
    for i in range(n):
        eid = str(uuid.uuid4())
        doc = DocumentRef.new(eid, 8, "0" * 64)
        c.blobs.put(state, doc.key, io.BytesIO(b"%PDF-1.4"))
        people.append(
            Employee(eid, state, f"F{i}", "Bench", "Clerk", Decimal("1.00"), doc, now, now)
        )
    c.records.add_employees(people, [
        HistoryEntry(e.id, state, "added", "bench", now,
                     (FieldChange("first_name", None, e.first_name),))
        for e in people])
    for e in people:
        c.records.delete_employee(state, e.id, "bench")
    worker = build_stream_worker(settings)
    start = time.perf_counter()
    stats = worker.run_once()
    elapsed = time.perf_counter() - start
    erased = len(c.ledger.receipts(state, limit=n + 10, cursor=None)[0])
    assert erased == n and stats.dead_lettered == 0, (erased, stats)
    return erased / elapsed


def bench_sweep(settings, n: int) -> float:
    from humangov.adapters.clock import SystemClock
    from humangov.bootstrap import bootstrap
    from humangov.erasure.sweep import sweep

    c = bootstrap(settings)
    c.personnel.add_state("TX")
    for _ in range(n):
        c.blobs.put("TX", f"{uuid.uuid4()}/{uuid.uuid4()}.pdf", io.BytesIO(b"%PDF-orphan"))
    start = time.perf_counter()
    result = sweep("TX", blobs=c.blobs, records=c.records, ledger=c.ledger, clock=SystemClock(),
                   grace=timedelta(0), do_purge=True)
    elapsed = time.perf_counter() - start
    assert result.purged == n, result.purged
    return n / elapsed


@contextmanager
def on_moto_server() -> Iterator[Settings]:
    """AWS settings pointed at a moto_server on 127.0.0.1, for as long as the block runs."""
    import logging

    from moto.server import ThreadedMotoServer

    from humangov.config import Settings

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        _env(f"http://{host}:{port}")
        with tempfile.TemporaryDirectory() as tmp:
            yield Settings(
                environment="test", backend="aws", data_dir=Path(tmp), monitoring=False
            )
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--rtt-ms", type=float, default=5.0)
    args = parser.parse_args(argv)
    with on_moto_server() as settings:
        stream = bench_stream_worker(settings, args.records)
        swept = bench_sweep(settings, args.objects)
        one, many = bench_handler_concurrency(settings, args.records, args.rtt_ms / 1000)
    print(
        "AWS path on moto_server (an EMULATOR on 127.0.0.1, not AWS; compare shapes, not numbers)"
    )
    print(f"  stream worker: {stream:8.1f} records/s erased   "
          f"({args.records} deletes, all versions, receipts)")
    print(f"  orphan sweep : {swept:8.1f} objects/s on S3      "
          f"({args.objects} orphans listed, erased, receipted)")
    from humangov.aws.stream_cleanup import WORKERS

    print(f"  stream handler, every call delayed {args.rtt_ms:g} ms (AWS's round trip):")
    print(f"    one record at a time (baseline)  : {one:8.1f} records/s")
    print(f"    {WORKERS} items of a batch at once      : {many:8.1f} records/s "
          f"({many / one:.1f}x)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
