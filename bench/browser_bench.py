"""The time of one browser canary run (issue 4): real `humangov serve`, real Chromium, run by
`humangov monitor --once`, as an operator would."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

RUNS = int(os.environ.get("BENCH_BROWSER_RUNS", "3"))
PASSWORD = "bench-canary-password"


def main() -> list[float]:
    with tempfile.TemporaryDirectory(prefix="humangov-browser-bench-") as tmp:
        data = Path(tmp) / "var"
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {**os.environ, "HUMANGOV_DATA_DIR": str(data), "HUMANGOV_PORT": str(port),
               "HUMANGOV_MONITORING": "false", "HUMANGOV_ADMIN_PASSWORD": PASSWORD,
               "BENCH_CANARY_PASSWORD": PASSWORD}
        server = subprocess.Popen([sys.executable, "-m", "humangov", "serve"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            config = Path(tmp) / "browser.yaml"
            config.write_text(
                "checks:\n"
                "  - name: browser\n    type: browser\n"
                f"    base_url: {base}\n    state: CA\n    email: admin@humangov.local\n"
                "    password_env: BENCH_CANARY_PASSWORD\n    interval: 5m\n    timeout: 90s\n"
            )
            durations = []
            for _ in range(RUNS):
                started = time.perf_counter()
                out = subprocess.run([sys.executable, "-m", "humangov", "monitor", "--once",
                                      "--config", str(config),
                                      "--data-dir", str(Path(tmp) / "monitor")],
                                     env=env, capture_output=True, text=True, check=False)
                wall = time.perf_counter() - started
                match = re.search(r"(ok|fail)\s+browser\s+(\d+)ms", out.stdout)
                if out.returncode != 0 or not match or match.group(1) != "ok":
                    raise SystemExit(f"browser canary failed:\n{out.stdout}\n{out.stderr}")
                durations.append(int(match.group(2)) / 1000)
                print(f"browser canary run: {durations[-1]:.2f} s (process wall time {wall:.2f} s)")
        finally:
            server.terminate()
            server.wait(10)
    print(f"browser canary: median {sorted(durations)[len(durations) // 2]:.2f} s over {RUNS} runs "
          "(login, open CA, add with a PDF, delete; Chromium launch included)")
    return durations


if __name__ == "__main__":
    main()
