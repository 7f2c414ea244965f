"""Time to detect and notify (issue 5).

A heartbeat every 5 s with `failures_in_a_row: 2` (and the default 1 s confirmation re-check)
watches a local HTTP target that is stopped and restarted N times (20 by default). A local
Slack-compatible receiver, posted to by slack_sdk, timestamps each message. We report p50/p95
from the moment the target stops to the ALARM's arrival, and from the restart to the OK's.

    python bench/alarm_bench.py [--incidents 20] [--interval 5]

Each wait between events is random (0 to one interval), so target stops land at uniformly
random points of the check's schedule, as real outages do.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import random
import sys
import tempfile
import time
from pathlib import Path

from tests.alarms.localhttp import SlackReceiver, Target

from humangov.bootstrap import alarms as build_alarms
from humangov.config import Settings
from humangov.monitoring.config import parse_config
from humangov.monitoring.engine import MonitoringEngine
from humangov.monitoring.store import MemoryRunStore

TARGET_DOWN_P95 = 7.0
TARGET_UP_P95 = 6.0
# blackbox_exporter + Alertmanager tuned for speed, same interval and threshold (issue 5).
REFERENCE = {"blackbox+alertmanager": (11.0, 13.0)}
MESSAGE_WAIT = 60  # seconds for one ALARM or OK message before the run is given up


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


async def wait_for_message(receiver: SlackReceiver, count: int) -> float:
    # The receiver fills its list from its own threads, so there is no event to await.
    try:
        async with asyncio.timeout(MESSAGE_WAIT):
            while True:
                if len(receiver.messages) >= count:
                    return receiver.messages[count - 1]["_received"]
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise TimeoutError(f"message {count} did not arrive within {MESSAGE_WAIT}s") from None


async def run(
    incidents: int, interval: float, seed: int
) -> tuple[list[float], list[float], list[str]]:
    rng = random.Random(seed)
    receiver, target = SlackReceiver(), Target()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        config = parse_config({"checks": [{
            "name": "bench-target", "type": "heartbeat", "url": target.url,
            "interval": f"{interval}s", "timeout": "2s",
            "alarm": {"failures_in_a_row": 2},
        }]})
        alarms = build_alarms(Settings(data_dir=data_dir, slack_webhook_url=receiver.url), config)
        engine = MonitoringEngine(
            config, alarms.watch_store(MemoryRunStore()), data_dir / "artifacts"
        )
        alarms.attach(engine.scheduler)
        await alarms.start()
        await engine.start()
        down, up, texts = [], [], []
        try:
            await asyncio.sleep(interval * 1.5)  # a first OK run
            for i in range(incidents):
                await asyncio.sleep(rng.uniform(0, interval))
                stopped = time.time()
                target.stop()
                received = await wait_for_message(receiver, 2 * i + 1)
                down.append(received - stopped)
                await asyncio.sleep(rng.uniform(0, interval))
                restarted = time.time()
                target.start()
                received = await wait_for_message(receiver, 2 * i + 2)
                up.append(received - restarted)
                print(f"incident {i + 1:2d}/{incidents}: ALARM after {down[-1]:.2f}s, "
                      f"OK after {up[-1]:.2f}s", flush=True)
            await asyncio.sleep(2)
            texts = receiver.texts()
        finally:
            await engine.stop()
            await alarms.stop()
            alarms.store.close()
            target.stop()
            receiver.close()
    return down, up, texts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=20)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    logging.getLogger("humangov.alarms").setLevel(logging.ERROR)  # the console channel's lines
    down, up, texts = asyncio.run(run(args.incidents, args.interval, args.seed))
    expected = [s for _ in range(args.incidents) for s in ("[ALARM]", "[OK]")]
    once_each = [t.split(" ")[0] for t in texts] == expected

    print()
    print(f"Alarm benchmark: heartbeat every {args.interval:g}s, failures_in_a_row 2, "
          f"{args.incidents} incidents")
    print(
        f"{'':28}{'p50':>8}{'p95':>8}{'target p95':>12}   reference (blackbox+Alertmanager p50/p95)"
    )
    ref50, ref95 = REFERENCE["blackbox+alertmanager"]
    rows = [("stop -> ALARM in Slack", down, TARGET_DOWN_P95),
            ("restart -> OK in Slack", up, TARGET_UP_P95)]
    ok = once_each
    for label, values, target in rows:
        p50, p95 = percentile(values, 50), percentile(values, 95)
        verdict = "ok" if p95 <= target else "MISSED"
        ok = ok and p95 <= target
        print(f"{label:28}{p50:7.2f}s{p95:7.2f}s{target:10.1f}s {verdict:6}  "
              f"~{ref50:g}s / ~{ref95:g}s")
    print("CloudWatch Synthetics: runs at most once a minute, alarms over periods of >= 1 minute.")
    print(f"exactly one ALARM and one OK per incident, in order: {'yes' if once_each else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
