"""`humangov monitor --config FILE [--data-dir DIR]`: the engine alone, until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

if TYPE_CHECKING:
    from humangov.monitoring.engine import MonitoringEngine

app = typer.Typer(help="Synthetic monitoring.")
err = Console(stderr=True)


@app.command()
def monitor(
    config: Annotated[Path, typer.Option("--config", help="The checks, as YAML.")],
    data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", help="Where runs, alarms and artifacts are kept [default: $HUMANGOV_DATA_DIR or ./var]",
        show_default=False)] = None,
    once: Annotated[bool, typer.Option("--once", help="Run every check once, print results, exit 1 on any failure.")] = False,
) -> None:
    """Run the synthetic checks in CONFIG until interrupted."""
    # Imported here, not at the top: every `humangov` command registers this one, and the
    # engine and alarm stack cost about a third of a second to import.
    from humangov.bootstrap import monitoring
    from humangov.config import Settings
    from humangov.monitoring.alarms.channels import AlarmConfigError
    from humangov.monitoring.config import ConfigError, load_config

    try:
        parsed = load_config(config)
    except ConfigError as exc:
        err.print(f"[red]{config} is invalid:[/red]")
        for line in exc.lines:
            err.print(f"  {line}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    settings = Settings(data_dir=data_dir) if data_dir else Settings()
    if once:
        failed = asyncio.run(_once(monitoring(settings, parsed, with_alarms=False).engine))
        raise typer.Exit(1 if failed else 0)
    try:
        running = monitoring(settings, parsed)
    except AlarmConfigError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_forever(running.engine, running.alarms))


async def _once(engine: MonitoringEngine) -> bool:
    await engine.start()
    try:
        results = await asyncio.gather(*(engine.scheduler.run_once(c.name) for c in engine.config.checks))
    finally:
        await engine.stop()
    console = Console()
    for result in results:
        colour = "green" if result.ok else "red"
        console.print(f"[{colour}]{result.status:4}[/{colour}] {result.check} {result.duration_ms:.0f}ms {result.error}")
    return any(not r.ok for r in results)


async def _forever(engine: MonitoringEngine, alarms) -> None:
    await alarms.start()
    await engine.start()
    try:
        with Live(_table(engine), refresh_per_second=1, console=Console()) as live:
            while True:
                await asyncio.sleep(1)
                live.update(_table(engine))
    finally:
        await engine.stop()
        await alarms.stop()


def _table(engine: MonitoringEngine) -> Table:
    table = Table(title="HumanGov monitoring (Ctrl-C to stop)")
    for column in ("check", "type", "status", "last run (UTC)", "24h success", "p50", "p95", "error"):
        table.add_column(column)
    for check in engine.config.checks:
        s = engine.store.summary(check.name)
        status = {"ok": "[green]ok[/green]", "fail": "[red]FAIL[/red]", None: "[dim]pending[/dim]"}[s.last_status]
        table.add_row(
            check.name, check.type, status,
            s.last_run_at.strftime("%H:%M:%S") if s.last_run_at else "-",
            f"{s.success_24h:.1f}%" if s.success_24h is not None else "-",
            f"{s.p50_ms:.0f}ms" if s.p50_ms is not None else "-",
            f"{s.p95_ms:.0f}ms" if s.p95_ms is not None else "-",
            (s.last_error or "")[:60],
        )
    return table
