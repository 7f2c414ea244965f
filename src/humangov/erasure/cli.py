"""Typer sub-apps: `orphans`, `erasure`, `compliance`, and the `worker` command.

Machine-readable output goes to stdout; progress and messages to stderr, so
`--format json | jq` stays clean.
"""

from __future__ import annotations

import csv
import os
import re
import socket
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from humangov.domain.errors import HumanGovError
from humangov.domain.states import normalize_code

orphans_app = typer.Typer(help="Find and erase files no employee record uses.", no_args_is_help=True)
erasure_app = typer.Typer(help="The erasure queue: dead letters and retries.", no_args_is_help=True)
compliance_app = typer.Typer(help="Evidence of erasure for a state's counsel.", no_args_is_help=True)

err = Console(stderr=True)
FORMATS = ("table", "json", "csv")

DataDir = Annotated[Path, typer.Option(
    "--data-dir", envvar="HUMANGOV_DATA_DIR", help="The data directory.", show_default=True,
)]
StateOpt = Annotated[str | None, typer.Option("--state", help="USPS code, such as CA.")]
AllOpt = Annotated[bool, typer.Option("--all", help="Every provisioned state.")]
GraceOpt = Annotated[str, typer.Option("--grace", help="Only files older than this: 90s, 30m, 24h, 7d.")]
FormatOpt = Annotated[str, typer.Option("--format", help="table, json or csv.")]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text or "")
    if not match:
        raise ValueError(f"--grace must be a duration such as 90s, 30m, 24h or 7d; got {text!r}.")
    return timedelta(seconds=float(match[1]) * _UNITS[match[2].lower()])


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]Error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def open_container(data_dir: Path):
    from humangov.bootstrap import bootstrap
    from humangov.config import Settings

    return bootstrap(Settings(data_dir=data_dir))


def _states(container, state: str | None, all_states: bool) -> list[str]:
    if bool(state) == bool(all_states):
        raise fail("Give either --state CA or --all.")
    if all_states:
        return [s.code for s in container.records.list_states()]
    return [container.personnel.require_state(state)]


def _run_sweep(data_dir: Path, state, all_states, grace: str, fmt: str, *, do_purge: bool,
               yes: bool = False, dry_run: bool = False):
    try:
        grace_td = parse_duration(grace)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if fmt not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}; got {fmt!r}.")
    container = open_container(data_dir)
    try:
        results = []
        for code in _states(container, state, all_states):
            with Progress(SpinnerColumn(), TextColumn("{task.description}"),
                          TextColumn("{task.completed:,} objects"), TimeElapsedColumn(),
                          console=err, transient=True, auto_refresh=False) as bar:
                # auto_refresh would start a thread, and the scan forks its workers only from
                # a single-threaded process; progress arrives every 10,000 objects anyway.
                task = bar.add_task(f"Scanning {code}", total=None)
                result = container.erasures.sweep(
                    code, grace=grace_td, purge_orphans=do_purge and not dry_run,
                    confirm=None if yes else _confirm_purge, workers=min(os.cpu_count() or 1, 2),
                    progress=lambda n, t=task, b=bar: b.update(t, completed=n, refresh=True))
            if result.purged:
                err.print(f"{code}: erased {result.purged} orphaned file(s); receipts written.")
            results.append(result)
        _print_results(results, fmt, all_states)
    except HumanGovError as exc:
        raise fail(exc.detail) from None
    finally:
        container.close()


def _confirm_purge(result) -> bool:
    if typer.confirm(f"Erase {len(result.orphans)} orphaned file(s) in {result.state}? "
                     "This cannot be undone.", err=True):
        return True
    raise fail("Nothing erased.", 1)


def _print_results(results, fmt: str, many: bool) -> None:
    if fmt == "json":
        payload = [r.to_json() for r in results] if many else results[0].to_json()
        sys.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n")
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["state", "kind", "key", "size", "last_modified", "employee_id"])
        for r in results:
            for o in r.orphans:
                writer.writerow([r.state, "orphan", o.key, o.size, o.last_modified.isoformat(), ""])
            for d in r.dangling:
                writer.writerow([r.state, "dangling", d.key, "", "", d.employee_id])
    else:
        out = Console()
        for r in results:
            table = Table(title=f"{r.state}: {r.scanned_files} files, {r.scanned_records} records scanned")
            for col in ("kind", "key", "size", "last modified / employee"):
                table.add_column(col)
            for o in r.orphans:
                table.add_row("orphan", o.key, str(o.size), o.last_modified.isoformat(timespec="seconds"))
            for d in r.dangling:
                table.add_row("dangling", d.key, "", d.employee_id)
            out.print(table)
            out.print(f"{len(r.orphans)} orphaned file(s), {len(r.dangling)} dangling reference(s).")


@orphans_app.command("scan")
def scan_command(
    state: StateOpt = None, all_states: AllOpt = False, grace: GraceOpt = "24h",
    fmt: FormatOpt = "table", data_dir: DataDir = Path("var"),
):
    """Report orphaned files and dangling references."""
    _run_sweep(data_dir, state, all_states, grace, fmt, do_purge=False)


@orphans_app.command("purge")
def purge_command(
    state: StateOpt = None, all_states: AllOpt = False, grace: GraceOpt = "24h",
    fmt: FormatOpt = "table", data_dir: DataDir = Path("var"),
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only report.")] = False,
):
    """Erase orphaned files, writing a receipt for each."""
    _run_sweep(data_dir, state, all_states, grace, fmt, do_purge=True, yes=yes, dry_run=dry_run)


@erasure_app.command("dead-letters")
def dead_letters_command(state: StateOpt = None, fmt: FormatOpt = "table", data_dir: DataDir = Path("var")):
    """List erasures that failed every attempt."""
    container = open_container(data_dir)
    try:
        code = normalize_code(state) if state else None
        dead = container.erasures.dead_letters(code)
    except HumanGovError as exc:
        raise fail(exc.detail) from None
    finally:
        container.close()
    rows = [{"id": d.id, "state": d.change.state, "reason": d.change.reason,
             "key": d.change.old.key if d.change.old else None, "attempts": d.attempts,
             "last_error": d.last_error} for d in dead]
    if fmt == "json":
        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    table = Table(title=f"{len(rows)} dead letter(s)")
    for col in ("id", "state", "reason", "key", "attempts", "last_error"):
        table.add_column(col)
    for r in rows:
        table.add_row(*(str(r[c] or "") for c in ("id", "state", "reason", "key", "attempts", "last_error")))
    Console().print(table)


@erasure_app.command("retry")
def retry_command(
    intent_id: Annotated[int | None, typer.Argument(help="Dead letter id.")] = None,
    all_dead: Annotated[bool, typer.Option("--all", help="Retry every dead letter.")] = False,
    data_dir: DataDir = Path("var"),
):
    """Put dead letters back in the queue."""
    if (intent_id is None) == (not all_dead):
        raise fail("Give either a dead letter ID or --all.")
    container = open_container(data_dir)
    try:
        n = container.erasures.retry(None if all_dead else intent_id)
    finally:
        container.close()
    if n == 0 and intent_id is not None:
        raise fail(f"There is no dead letter {intent_id}; list them with `humangov erasure dead-letters`.", 1)
    err.print(f"{n} dead letter(s) queued again.")


@compliance_app.command("report")
def report_command(
    state: Annotated[str, typer.Option("--state", help="USPS code, such as CA.")],
    since: Annotated[str | None, typer.Option("--since", help="A date, such as 2026-01-01.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="html or json.")] = "html",
    data_dir: DataDir = Path("var"),
):
    """The erasure report for a state: totals, receipts, pending and failed erasures, last sweep."""
    from humangov.erasure.report import render_html

    if fmt not in ("html", "json"):
        raise fail(f"--format must be html or json; got {fmt!r}.")
    since_dt = None
    if since:
        try:
            since_dt = datetime.fromisoformat(since)
        except ValueError:
            raise fail(f"--since must be a date such as 2026-01-01; got {since!r}.") from None
        if since_dt.tzinfo is None:
            since_dt = since_dt.replace(tzinfo=UTC)
    container = open_container(data_dir)
    try:
        code = container.personnel.require_state(state)
        report = container.erasures.report(code, since=since_dt)
    except HumanGovError as exc:
        raise fail(exc.detail) from None
    finally:
        container.close()
    if fmt == "json":
        sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        sys.stdout.write(render_html(report))


def worker_command(data_dir: DataDir = Path("var")):
    """Drain the erasure queue until interrupted (Ctrl-C / SIGTERM)."""
    from humangov.erasure.worker import run_worker_forever

    container = open_container(data_dir)
    try:
        worker = container.erasures.worker(f"{socket.gethostname()}:{os.getpid()}")
        err.print("Erasure worker running; Ctrl-C to stop.")
        run_worker_forever(worker)
    finally:
        container.close()
