"""Check types. `run_check` picks the runner for a check's `type`."""

from __future__ import annotations

from humangov.monitoring.results import RunContext, RunResult


async def run_check(check, clients, ctx: RunContext, **kw) -> RunResult:
    from humangov.monitoring.checks import api, browser, heartbeat, lifecycle

    runner = {"heartbeat": heartbeat, "api": api, "lifecycle": lifecycle, "browser": browser}[
        check.type
    ]
    return await runner.run(check, clients, ctx, **kw)
