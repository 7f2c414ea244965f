"""A minimal monitor process for the crash tests and the benchmark: one heartbeat check, the
real scheduler, the real alarm service with a Slack channel. Runs until killed. From the
repository root:

    python -m tests.alarms.crash_runner --data-dir DIR --target URL --webhook URL
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from datetime import timedelta

from humangov.bootstrap import alarms as build_alarms
from humangov.config import Settings
from humangov.monitoring.config import parse_config
from humangov.monitoring.engine import MonitoringEngine
from humangov.monitoring.sqlite_store import SqliteRunStore


async def main(args: argparse.Namespace) -> None:
    config = parse_config({"checks": [{
        "name": args.name, "type": "heartbeat", "url": args.target,
        "interval": f"{args.interval}s", "timeout": f"{args.timeout}s",
        "alarm": {"failures_in_a_row": args.failures, "confirm_after": args.confirm_after},
    }]})
    settings = Settings(slack_webhook_url=args.webhook, data_dir=args.data_dir)
    # A short lease: a message cut off by SIGKILL mid-send is retried soon after a restart.
    alarms = build_alarms(settings, config,
                          dispatcher_options={"base_backoff": 0.2, "lease": timedelta(seconds=2)})
    store = alarms.watch_store(SqliteRunStore(args.data_dir / "runs.db"))
    engine = MonitoringEngine(config, store, args.data_dir / "artifacts")
    alarms.attach(engine.scheduler)
    await alarms.start()
    await engine.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await stop.wait()
    await engine.stop()
    await alarms.stop()


def cli() -> None:
    from pathlib import Path

    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--webhook", required=True)
    parser.add_argument("--name", default="target")
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=0.5)
    parser.add_argument("--failures", type=int, default=2)
    parser.add_argument("--confirm-after", type=float, default=0.3)
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    cli()
