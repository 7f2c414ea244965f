"""`make bench`: every benchmark, each printing its figures beside the target it must meet.

Run one alone with `python -m bench.<name>_bench`. BENCH_ONLY=personnel,erasure limits the set
(BENCH_ONLY=retention the retention run alone).
"""

from __future__ import annotations

import importlib
import os
import platform
import time

SUITES = ["personnel", "search", "erasure", "retention", "monitoring", "browser", "alarm", "aws",
          "adopt"]


def main() -> None:
    only = [s for s in os.environ.get("BENCH_ONLY", "").split(",") if s]
    print(f"machine: {os.cpu_count()} cores, "
          f"{platform.python_implementation()} {platform.python_version()}, "
          f"{platform.system()} {platform.machine()}; {time.strftime('%Y-%m-%d %H:%M')}")
    for name in only or SUITES:
        module = importlib.import_module(f"bench.{name}_bench")
        started = time.perf_counter()
        print(f"\n=== {name} ===", flush=True)
        module.main()
        print(f"({name}: {time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
