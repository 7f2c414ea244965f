"""`humangov orphans`, `erasure`, `compliance` and `worker`: the Erasures use case."""

from __future__ import annotations

import csv
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from humangov.cli.common import (
    DataDir,
    Misconfigured,
    confirm,
    err,
    load_settings,
    open_container,
    out,
)
from humangov.domain.errors import NotFound, StorageUnavailable
from humangov.domain.model import csv_safe

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from humangov.bootstrap import Container
    from humangov.erasure.sweep import ScanResult
    from humangov.ports import EarlierApp

orphans = typer.Typer(help="Find and erase files no employee record uses.", no_args_is_help=True)
erasure = typer.Typer(help="The erasure queue: dead letters and retries.", no_args_is_help=True)
compliance = typer.Typer(help="Evidence of erasure for a state's counsel.", no_args_is_help=True)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str | timedelta) -> timedelta:
    if isinstance(text, timedelta):  # click converts the default too
        return text
    match = _DURATION.match(text or "")
    if not match:
        raise typer.BadParameter(f"must be a duration such as 90s, 30m, 24h or 7d; got {text!r}.")
    return timedelta(seconds=float(match[1]) * _UNITS[match[2].lower()])


def parse_date(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"must be a date such as 2026-01-01; got {text!r}.") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


StateOpt = Annotated[str | None, typer.Option("--state", help="USPS code, such as CA.")]
AllOpt = Annotated[bool, typer.Option("--all", help="Every provisioned state.")]
GraceOpt = Annotated[timedelta, typer.Option(
    "--grace", parser=parse_duration, metavar="DURATION", show_default=False,
    help="Only files older than this: 90s, 30m, 24h, 7d \\[default: 24h]")]
DAY = timedelta(hours=24)
SweepFormat = Annotated[Literal["table", "json", "csv"], typer.Option("--format")]
LegacyOpt = Annotated[bool, typer.Option(
    "--legacy", help="Sweep the earlier application's bucket attached to the state (its "
                     "legacy backlog) instead of the state's own.")]
LegacyTableOpt = Annotated[str | None, typer.Option(
    "--legacy-table", help="With --legacy-bucket: sweep this earlier application's bucket; "
                           "the table's records keep their files.")]
LegacyBucketOpt = Annotated[str | None, typer.Option(
    "--legacy-bucket", help="The earlier bucket (tagged by `humangov legacy attach`).")]


@orphans.command("scan")
def scan_command(state: StateOpt = None, all_states: AllOpt = False, grace: GraceOpt = DAY,
                 fmt: SweepFormat = "table", data_dir: DataDir = None,
                 legacy: LegacyOpt = False, legacy_table: LegacyTableOpt = None,
                 legacy_bucket: LegacyBucketOpt = None) -> None:
    """Report orphaned files and dangling references."""
    _sweep(data_dir, state, all_states, grace, fmt, purge=False,
           legacy=(legacy, legacy_table, legacy_bucket))


@orphans.command("purge")
def purge_command(
    state: StateOpt = None, all_states: AllOpt = False, grace: GraceOpt = DAY,
    fmt: SweepFormat = "table", data_dir: DataDir = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only report.")] = False,
    legacy: LegacyOpt = False, legacy_table: LegacyTableOpt = None,
    legacy_bucket: LegacyBucketOpt = None,
) -> None:
    """Erase orphaned files, writing a receipt for each."""
    _sweep(data_dir, state, all_states, grace, fmt, purge=not dry_run, yes=yes,
           legacy=(legacy, legacy_table, legacy_bucket))


def _sweep(data_dir: Path | None, state: str | None, all_states: bool, grace: timedelta,
           fmt: str, *, purge: bool, yes: bool = False,
           legacy: tuple[bool, str | None, str | None] = (False, None, None)) -> None:
    if bool(state) == all_states:
        raise typer.BadParameter("give either --state CA or --all.", param_hint="--state / --all")
    backlog = any(legacy)
    if backlog and all_states:
        raise typer.BadParameter("the legacy backlog is swept one state at a time: give "
                                 "--state CA.", param_hint="--legacy")
    with open_container(data_dir) as c:
        codes = ([c.personnel.require_state(state)] if state
                 else [s.code for s in c.personnel.list_states()])
        earlier = c.erasures.earlier_app(codes[0], *legacy[1:]) if backlog else None
        results, failed = [], []
        for code in codes:
            try:
                results.append(_sweep_one(c, code, grace, purge, yes, earlier))
            except StorageUnavailable as exc:  # that state's store is gone; scan the others
                failed.append(f"{code}: {exc.detail}")
    if results:
        _print_sweeps(results, fmt, all_states)
    if failed:
        raise StorageUnavailable("\n".join(failed))


def _sweep_one(c: Container, code: str, grace: timedelta, purge: bool, yes: bool,
               earlier: EarlierApp | None) -> ScanResult:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"),
                  TextColumn("{task.completed:,} objects"), TimeElapsedColumn(),
                  console=err, transient=True, auto_refresh=False) as bar:
        # auto_refresh would start a thread, and the scan forks its workers only from a
        # single-threaded process; progress arrives every 10,000 objects anyway.
        task = bar.add_task(f"Scanning {code}", total=None)
        result = c.erasures.sweep(
            code, grace=grace, purge_orphans=purge, confirm=None if yes else _confirm_purge,
            workers=min(os.cpu_count() or 1, 2), progress=partial(_show_progress, bar, task),
            backlog=earlier)
    if result.purged:
        err.print(f"{code}: erased {result.purged} orphaned file(s); receipts written.")
    return result


def _show_progress(bar: Progress, task: TaskID, scanned: int) -> None:
    bar.update(task, completed=scanned, refresh=True)


def _confirm_purge(result: ScanResult) -> bool:
    confirm(f"Erase {result.orphan_count} orphaned file(s) in {result.state}? "
            "This cannot be undone.")
    return True


def _print_sweeps(results: list[ScanResult], fmt: str, many: bool) -> None:
    if fmt == "json":
        _json([r.to_json() for r in results] if many else results[0].to_json())
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["state", "kind", "key", "size", "last_modified", "employee_id"])
        for r in results:
            for o in r.orphans:
                writer.writerow([r.state, "orphan", csv_safe(o.key), o.size,
                                 o.last_modified.isoformat(), ""])
            for f in r.foreign:  # not a HumanGov key: its path in the state's folder
                writer.writerow([r.state, "foreign", csv_safe(f.key), f.size,
                                 f.last_modified.isoformat(), ""])
            for d in r.dangling:
                writer.writerow([r.state, "dangling", d.key, "", "", d.employee_id])
    else:
        from rich.table import Table

        for r in results:
            title = f"{r.state}: {r.scanned_files} files, {r.scanned_records} records scanned"
            table = Table("kind", "key", "size", "last modified / employee", title=title)
            for o in r.orphans:
                table.add_row("orphan", o.key, str(o.size),
                              o.last_modified.isoformat(timespec="seconds"))
            for f in r.foreign:
                table.add_row("foreign (path)", f.key, str(f.size),
                              f.last_modified.isoformat(timespec="seconds"))
            for d in r.dangling:
                table.add_row("dangling", d.key, "", d.employee_id)
            out.print(table)
            out.print(f"{r.orphan_count} orphaned file(s) ({len(r.foreign)} not named by "
                      "HumanGov, shown by path), "
                      f"{len(r.dangling)} dangling reference(s).")


@erasure.command("dead-letters")
def dead_letters_command(
    state: StateOpt = None, data_dir: DataDir = None,
    fmt: Annotated[Literal["table", "json"], typer.Option("--format")] = "table",
) -> None:
    """List erasures that failed every attempt."""
    from humangov.domain.states import normalize_code

    with open_container(data_dir) as c:
        dead = c.erasures.dead_letters(normalize_code(state) if state else None)
    columns = ("id", "state", "reason", "key", "attempts", "last_error")
    rows = [{"id": d.id, "state": d.change.state, "reason": d.change.reason,
             "key": d.change.old.key if d.change.old else None, "attempts": d.attempts,
             "last_error": d.last_error} for d in dead]
    if fmt == "json":
        _json(rows)
        return
    from rich.table import Table

    table = Table(*columns, title=f"{len(rows)} dead letter(s)")
    for r in rows:
        table.add_row(*(str(r[c] or "") for c in columns))
    out.print(table)


@erasure.command("retry")
def retry_command(
    intent_id: Annotated[int | None, typer.Argument(metavar="ID", help="Dead letter id.")] = None,
    all_dead: Annotated[bool, typer.Option("--all", help="Retry every dead letter.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Put dead letters back in the queue."""
    if (intent_id is None) != all_dead:
        raise typer.BadParameter("give either a dead letter ID or --all.", param_hint="ID / --all")
    with open_container(data_dir) as c:
        n = c.erasures.retry(None if all_dead else intent_id)
    if n == 0 and intent_id is not None:
        raise NotFound(f"There is no dead letter {intent_id}; "
                       "list them with `humangov erasure dead-letters`.")
    err.print(f"{n} dead letter(s) queued again.")


@erasure.command("import-queue")
def import_queue_command(
    queue_url: Annotated[str, typer.Option(
        "--queue-url", help="The erasure Lambda's on-failure SQS queue of a state, such as "
                            "https://sqs.us-east-1.amazonaws.com/111122223333/humangov-ca-...")],
    data_dir: DataDir = None,
    fmt: Annotated[Literal["table", "json"], typer.Option("--format")] = "table",
) -> None:
    """Turn the on-failure queue's messages into dead letters, while the stream still holds
    their records (24 hours). A message is deleted once its dead letters are written."""
    from humangov.aws.dead_letter_queue import summary
    from humangov.bootstrap import queue_import

    settings = load_settings(data_dir)
    if settings.backend != "aws":
        raise Misconfigured("the on-failure queue is the erasure Lambda's, on AWS; set "
                            "HUMANGOV_BACKEND=aws. On one machine failed erasures are dead "
                            "letters already: `humangov erasure dead-letters`.")
    results = queue_import(settings).run(queue_url)
    if fmt == "json":
        _json(summary(results))
    else:
        for r in results:
            out.print(f"{r.message_id}: {'kept' if r.kept else 'deleted'}; {r.note}",
                      highlight=False)
        err.print(f"{len(results)} message(s): {sum(r.dead_letters for r in results)} dead "
                  f"letter(s) written, {sum(r.kept for r in results)} message(s) kept.",
                  highlight=False)
    if any(r.kept for r in results):
        raise typer.Exit(1)


@compliance.command("report")
def report_command(
    state: Annotated[str, typer.Option("--state", help="USPS code, such as CA.")],
    since: Annotated[datetime | None, typer.Option(
        "--since", parser=parse_date, metavar="DATE", help="A date, such as 2026-01-01.")] = None,
    fmt: Annotated[Literal["html", "json"], typer.Option("--format")] = "html",
    data_dir: DataDir = None,
) -> None:
    """The erasure report for a state: totals, receipts, pending and failed erasures, last sweep."""
    with open_container(data_dir) as c:
        report = c.erasures.report(c.personnel.require_state(state), since=since)
        # Written as the ledger is read: a state's millions of receipts are never all in memory.
        if fmt == "json":
            for chunk in report.json_chunks():
                sys.stdout.buffer.write(chunk)
        else:
            sys.stdout.writelines(report.html_chunks(limit=None))


def worker_command(data_dir: DataDir = None) -> None:
    """Drain the erasure queue until interrupted (Ctrl-C / SIGTERM)."""
    from humangov.erasure.worker import local_worker_id, run_worker_forever

    with open_container(data_dir) as c:
        worker = c.erasures.worker(local_worker_id("worker"))
        err.print("Erasure worker running; Ctrl-C to stop.")
        run_worker_forever(worker)


def _json(payload: object) -> None:
    import orjson

    sys.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n")
