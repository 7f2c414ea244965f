"""Render the Synthetics canary scripts from the monitoring YAML: the heartbeat and lifecycle
checks into a Python script (canary_runtime.py), the browser checks into a Node.js Playwright one
(canary_browser.js).

The YAML is read with PyYAML alone (not humangov.monitoring) so the CDK app stays independent
of the application's internals; only the documented shape is relied on:
`checks: [{name, type, url | urls, method, timeout, expect: {status}, erasure_sla, ...}]`.
A check's URL is rebased onto the state's own host name at run time: only its path is kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import urllib.parse
from pathlib import Path

import yaml

from humangov_infra.config import InfraConfigError

RUNTIME = Path(__file__).with_name("canary_runtime.py")
BROWSER_RUNTIME = Path(__file__).with_name("canary_browser.js")
HANDLER_MODULE = "humangov_canary"
BROWSER_HANDLER_MODULE = "humangov_browser_canary"
# As the local browser check (humangov.monitoring.checks.browser.ACTION_TIMEOUT_MS).
ACTION_TIMEOUT_MS = 15_000
# Synthetics' longest canary run.
MAX_CANARY_TIMEOUT_SECONDS = 840
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
# A Synthetics run is cut off at its timeout; the canary's runs share one minute.
CANARY_BUDGET_SECONDS = 60


def seconds(value, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise InfraConfigError(f"{where}: {value!r} is not a duration such as 10s or 1m")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _path(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def canary_checks(data: dict, *, lifecycle: bool) -> list[dict]:
    """The checks the canary runs, as plain data: heartbeats always, lifecycle if asked."""
    out: list[dict] = []
    for index, check in enumerate((data or {}).get("checks") or []):
        where = f"checks[{index}]"
        kind = check.get("type")
        if kind == "heartbeat":
            targets = [check["url"]] if check.get("url") else list(check.get("urls") or [])
            if isinstance(check.get("urls"), dict):
                targets = list(check["urls"].values())
            if not targets:
                raise InfraConfigError(f"{where}: a heartbeat needs url or urls")
            status = (check.get("expect") or {}).get("status", 200)
            out.append({
                "name": check["name"], "type": "heartbeat",
                "method": check.get("method", "GET").upper(),
                "paths": list(dict.fromkeys(_path(t) for t in targets)),
                "timeout": seconds(check.get("timeout", "10s"), f"{where}.timeout"),
                "status": status if isinstance(status, list) else [status],
            })
        elif kind == "lifecycle" and lifecycle:
            out.append({
                "name": check["name"], "type": "lifecycle",
                # Per request: the whole run must also fit the canary's minute.
                "timeout": min(10.0, seconds(check.get("timeout", "50s"), f"{where}.timeout")),
                "erasure_sla": seconds(check.get("erasure_sla", "30s"), f"{where}.erasure_sla"),
                "poll_interval": seconds(check.get("poll_interval", "250ms"),
                                         f"{where}.poll_interval"),
            })
    if not any(c["type"] == "heartbeat" for c in out):
        raise InfraConfigError("canary checks: the file defines no heartbeat check")
    return out


def browser_checks(data: dict) -> list[dict]:
    """The browser checks, as plain data. The state, base URL and login are the deployed
    canary's own (its environment and secret); the YAML gives names, intervals and timeouts."""
    out: list[dict] = []
    for index, check in enumerate((data or {}).get("checks") or []):
        if check.get("type") == "browser":
            where = f"checks[{index}]"
            out.append({
                "name": check["name"], "action_timeout_ms": ACTION_TIMEOUT_MS,
                "interval": seconds(check.get("interval", "5m"), f"{where}.interval"),
                "timeout": seconds(check.get("timeout", "90s"), f"{where}.timeout"),
            })
    return out


def browser_timing(checks: list[dict]) -> tuple[int, int]:
    """(rate, timeout) in seconds of the one canary running these checks: as often as the most
    frequent asks, for as long as they all take, within what Synthetics allows (a run ends
    before the next one starts)."""
    rate = max(60, int(min(c["interval"] for c in checks)))
    timeout = min(rate, MAX_CANARY_TIMEOUT_SECONDS, int(sum(c["timeout"] for c in checks)))
    return rate, timeout


def _splice(template: Path, marker: str, checks: list[dict], end: str = "") -> str:
    source = template.read_text()
    if marker not in source:  # pragma: no cover - guards edits to the template
        raise RuntimeError(f"{template} lost its CHECKS marker")
    rendered = json.dumps(checks, indent=4, sort_keys=True)
    return source.replace(marker, f"CHECKS = {rendered}{end}")


def render(checks: list[dict]) -> str:
    return _splice(RUNTIME, "CHECKS = []  # replaced by the generator", checks)


def render_browser(checks: list[dict]) -> str:
    return _splice(BROWSER_RUNTIME, "CHECKS = [];  // replaced by the generator", checks, ";")


def load(path: Path) -> dict:
    try:
        return yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise InfraConfigError(f"canary_checks: cannot read {path}: {exc.strerror}") from None


def render_file(path: Path, *, lifecycle: bool) -> str:
    return render(canary_checks(load(path), lifecycle=lifecycle))


def write_asset(path: Path, *, lifecycle: bool) -> Path:
    """Lay the scripts out as Synthetics expects: python/<module>.py for the Python runtime
    and, when the YAML has browser checks, <module>.js at the root for the Playwright one.
    Both canaries deploy this one directory. It is named by its content, so repeated synths
    reuse it instead of piling up."""
    data = load(path)
    files = {Path("python") / f"{HANDLER_MODULE}.py":
             render(canary_checks(data, lifecycle=lifecycle))}
    if browser := browser_checks(data):
        files[Path(f"{BROWSER_HANDLER_MODULE}.js")] = render_browser(browser)
    digest = hashlib.sha256(json.dumps(sorted((str(k), v) for k, v in files.items())).encode())
    out_dir = Path(tempfile.gettempdir()) / f"humangov-canary-{digest.hexdigest()[:16]}"
    for relative, source in files.items():
        target = out_dir / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(source)
            partial.replace(target)  # atomic: parallel synths never see half a file
    return out_dir

