"""`humangov adopt`: take over an earlier HumanGov application's records and documents."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from humangov.cli.common import DataDir, actor, confirm, err, open_container, out
from humangov.domain.errors import InvalidInput

if TYPE_CHECKING:
    from humangov.adoption import Adoption, Outcome, Report
    from humangov.adoption.sources import Named


def adopt(
    state: Annotated[str | None, typer.Option(
        "--state", help="USPS code of the state, such as CA")] = None,
    legacy_table: Annotated[str | None, typer.Option(
        "--legacy-table", help="The earlier application's table of the state")] = None,
    legacy_bucket: Annotated[str | None, typer.Option(
        "--legacy-bucket", help="The earlier application's bucket of the state")] = None,
    from_file: Annotated[Path | None, typer.Option(
        "--from", exists=True, dir_okay=False, readable=True,
        help="CSV or YAML naming state, legacy_table, legacy_bucket for many states")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print the plan and change nothing")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Print one line per record as it is done")] = False,
    batch_size: Annotated[int, typer.Option(
        "--batch-size", min=1, max=5000, help="Records copied, written and erased together")
    ] = 200,
    workers: Annotated[int, typer.Option(
        "--workers", min=1, max=64, help="S3 and DynamoDB calls in flight")] = 16,
    data_dir: DataDir = None,
) -> None:
    """Adopt an earlier HumanGov's records and documents (AWS backend).

    Each record becomes an employee (same id); its object is copied under a new key without
    names, verified by sha256, then erased from the earlier bucket with a legacy-rekeyed
    receipt. Resumable: run it again after any interruption. See docs/adopt.md."""
    named = _named(state, legacy_table, legacy_bucket, from_file)
    with open_container(data_dir) as c:
        from humangov.bootstrap.adoption import adoption

        runs = [adoption(c, n.state, n.legacy_table, n.legacy_bucket, actor=actor(),
                         batch=batch_size, workers=workers) for n in named]
        if dry_run:
            for run in runs:
                _print_plan(run.plan(), run.source.table.name, run.source.bucket)
            return
        if not yes:
            confirm(f"Adopt {', '.join(n.state for n in named)}: copy every record's document "
                    "and erase the earlier objects once their copies are verified?")
        for run in runs:
            _print_summary(_with_progress(run, verbose))


def _named(state: str | None, table: str | None, bucket: str | None,
           from_file: Path | None) -> list[Named]:
    from humangov.adoption.sources import Named, read_sources

    if from_file is not None:
        if state or table or bucket:
            raise InvalidInput("Give either --from FILE or --state, --legacy-table and "
                               "--legacy-bucket, not both.")
        return read_sources(from_file)
    if not (state and table and bucket):
        raise InvalidInput("Name the state's earlier table and bucket: --state CA "
                           "--legacy-table NAME --legacy-bucket NAME (or --from FILE).")
    return [Named(state, table, bucket)]


def _with_progress(run: Adoption, verbose: bool) -> Report:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn(f"adopting {run.state}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err, transient=True)
    task = progress.add_task("adopt", total=None)

    def done(outcome: Outcome) -> None:
        progress.advance(task)
        if verbose:
            print(_line(run.state, outcome), flush=True)

    with progress:
        return run.run(on_record=done, on_start=lambda n: progress.update(task, total=n))


def _line(state: str, o: Outcome) -> str:
    detail = f" -> {o.key}" if o.key else ""
    problem = f": {o.problem}" if o.problem else ""
    return f"{state} {o.record_id} {o.what}{detail}{problem}"


def _print_plan(report: Report, table: str, bucket: str) -> None:
    from humangov.adoption.service import ADOPTED, ALREADY, KEPT, NO_DOCUMENT, SKIPPED

    n = report.outcomes
    _say(f"{report.state}: plan for {table} and {bucket} (dry run: nothing was changed)")
    _say(f"  records: {report.records}: {n[ADOPTED] + n[KEPT]} to adopt with their "
              f"document, {n[NO_DOCUMENT]} without one, {n[ALREADY]} already adopted, "
              f"{n[SKIPPED]} to skip")
    _say(f"  objects to copy, verify and erase: {report.to_move - n[KEPT]}"
              + (f" (and {n[KEPT]} to copy but keep)" if n[KEPT] else ""))
    _say(f"  legacy backlog: {report.backlog} object(s) that no record names, left alone "
              "(see `humangov orphans scan` with --legacy-table and --legacy-bucket)")
    _print_problems(report)


def _print_summary(report: Report) -> None:
    from humangov.adoption.service import ADOPTED, ALREADY, KEPT, NO_DOCUMENT, SKIPPED

    n, secs = report.outcomes, max(report.seconds, 1e-9)
    _say(
        f"{report.state}: {report.records} record(s): adopted {n[ADOPTED] + n[KEPT]} with their "
        f"document and {n[NO_DOCUMENT]} without, {n[ALREADY]} already adopted, {n[SKIPPED]} "
        f"skipped; {report.moved} document(s) copied and verified, {report.erased} earlier "
        f"object(s) erased with a legacy-rekeyed receipt; {report.seconds:.1f} s, "
        f"{report.records / secs:.1f} records/s, {report.moved / secs:.1f} objects/s")
    _print_problems(report)


def _print_problems(report: Report) -> None:
    if report.problems:
        _say(f"  problems ({len(report.problems)}):")
    for o in report.problems:
        _say(f"    {o.record_id}: {o.problem} -> {o.what}")


def _say(line: str) -> None:
    out.print(line, markup=False, highlight=False, soft_wrap=True)
