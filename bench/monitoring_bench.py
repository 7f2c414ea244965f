"""Benchmark: 1,000 heartbeat checks at a 10 s interval against a local target.

Reports the monitor's CPU use (getrusage of this process only; the target runs in a child
process) and the drift of run start times against their due times.
Targets: CPU <= 25% of one core, drift p99 <= 100 ms. Run: `python -m bench.monitoring_bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = r'''
import asyncio, sys
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            writer.write(RESPONSE)
            await writer.drain()
    except Exception:
        writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]), backlog=2048)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()
asyncio.run(main())
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(
    checks: int, interval_s: float, duration_s: float, port: int, data_dir: Path
) -> dict:
    from humangov.monitoring.config import parse_config
    from humangov.monitoring.engine import MonitoringEngine
    from humangov.monitoring.sqlite_store import SqliteRunStore
    from humangov.monitoring.store import artifacts_dir_for

    config = parse_config({
        "max_concurrency": 200,
        "checks": [
            {"name": f"hb-{i:04d}", "type": "heartbeat", "url": f"http://127.0.0.1:{port}/ok",
             "interval": f"{interval_s:g}s", "timeout": "5s", "expect": {"status": 200}}
            for i in range(checks)
        ],
    })
    store = SqliteRunStore(Path(data_dir) / "monitoring.db",
                           artifacts_dir=artifacts_dir_for(data_dir))
    engine = MonitoringEngine(config, store, artifacts_dir_for(data_dir))
    await engine.start()
    # The first interval spreads the first runs and opens the connections: warm up over it.
    await asyncio.sleep(interval_s)
    engine.scheduler.start_lags.clear()
    cpu0, wall0 = cpu_seconds(), time.monotonic()
    await asyncio.sleep(duration_s)
    cpu1, wall1 = cpu_seconds(), time.monotonic()
    lags = sorted(engine.scheduler.start_lags)
    await engine.stop()
    ok = sum(1 for name in store.check_names() for r in store.list_runs(name, limit=100)[0] if r.ok)
    total = sum(len(store.list_runs(name, limit=100)[0]) for name in store.check_names())
    return {
        "checks": checks, "interval_s": interval_s, "measured_s": round(wall1 - wall0, 1),
        "runs": len(lags), "ok_runs": ok, "stored_runs": total,
        "cpu_pct_of_one_core": round(100 * (cpu1 - cpu0) / (wall1 - wall0), 1),
        "drift_p50_ms": round(1000 * statistics.median(lags), 2) if lags else None,
        "drift_p99_ms": round(1000 * lags[int(0.99 * (len(lags) - 1))], 2) if lags else None,
        "drift_max_ms": round(1000 * lags[-1], 2) if lags else None,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--duration", type=float, default=30.0)
    args = parser.parse_args(argv)
    port = free_port()
    target = subprocess.Popen(
        [sys.executable, "-c", TARGET, str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        target.stdout.readline()
        with tempfile.TemporaryDirectory() as tmp:
            figures = asyncio.run(
                measure(args.checks, args.interval, args.duration, port, Path(tmp))
            )
    finally:
        target.terminate()
        target.wait(10)
    print(f"monitoring: {figures['checks']} heartbeat checks every {figures['interval_s']:g}s, "
          f"measured over {figures['measured_s']}s")
    print(f"  runs started        {figures['runs']} ({figures['ok_runs']} ok of "
          f"{figures['stored_runs']} stored, last 100 per check)")
    print(f"  CPU                 {figures['cpu_pct_of_one_core']}% of one core (target <= 25%)")
    print(f"  start drift p50     {figures['drift_p50_ms']} ms")
    print(f"  start drift p99     {figures['drift_p99_ms']} ms (target <= 100 ms)")
    print(f"  start drift max     {figures['drift_max_ms']} ms")
    return figures


if __name__ == "__main__":
    main()
