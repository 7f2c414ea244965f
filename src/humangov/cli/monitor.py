"""`humangov monitor --config FILE`: the canary engine (and its alarms) alone, until Ctrl-C."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from humangov.cli.common import DataDir, load_settings, out

if TYPE_CHECKING:
    from rich.table import Table

    from humangov.monitoring.alarms.service import AlarmService
    from humangov.monitoring.engine import MonitoringEngine


def monitor(
    config: Annotated[Path, typer.Option("--config", help="The checks, as YAML.")],
    data_dir: DataDir = None,
    once: Annotated[bool, typer.Option(
        "--once", help="Run every check once, print results, exit 1 on any failure.")] = False,
) -> None:
    """Run the synthetic checks in CONFIG until interrupted."""
    # Imported here: the engine and the alarm stack cost about a third of a second.
    import asyncio
    import contextlib

    from humangov.bootstrap import monitoring
    from humangov.monitoring.config import load_config

    settings = load_settings(data_dir)
    parsed = load_config(config)
    if once:
        failed = asyncio.run(_once(monitoring(settings, parsed, with_alarms=False).engine))
        raise typer.Exit(1 if failed else 0)
    running = monitoring(settings, parsed)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_forever(running.engine, running.alarms))


async def _once(engine: MonitoringEngine) -> bool:
    import asyncio

    await engine.start()
    try:
        results = await asyncio.gather(
            *(engine.scheduler.run_once(c.name) for c in engine.config.checks))
    finally:
        await engine.stop()
    for result in results:
        colour = "green" if result.ok else "red"
        out.print(f"[{colour}]{result.status:4}[/{colour}] {result.check} "
                  f"{result.duration_ms:.0f}ms {result.error}")
    return any(not r.ok for r in results)


async def _forever(engine: MonitoringEngine, alarms: AlarmService | None) -> None:
    import asyncio

    from rich.live import Live

    if alarms is not None:
        await alarms.start()
    await engine.start()
    try:
        with Live(_table(engine), refresh_per_second=1, console=out) as live:
            while True:
                await asyncio.sleep(1)
                live.update(_table(engine))
    finally:
        await engine.stop()
        if alarms is not None:
            await alarms.stop()


STATUS = {"ok": "[green]ok[/green]", "fail": "[red]FAIL[/red]", None: "[dim]pending[/dim]"}


def _table(engine: MonitoringEngine) -> Table:
    from rich.table import Table

    table = Table("check", "type", "status", "last run (UTC)", "24h success", "p50", "p95", "error",
                  title="HumanGov monitoring (Ctrl-C to stop)")
    for check in engine.config.checks:
        s = engine.store.summary(check.name)
        status = STATUS[s.last_status]
        table.add_row(
            check.name, check.type, status,
            s.last_run_at.strftime("%H:%M:%S") if s.last_run_at else "-",
            f"{s.success_24h:.1f}%" if s.success_24h is not None else "-",
            f"{s.p50_ms:.0f}ms" if s.p50_ms is not None else "-",
            f"{s.p95_ms:.0f}ms" if s.p95_ms is not None else "-",
            (s.last_error or "")[:60],
        )
    return table
