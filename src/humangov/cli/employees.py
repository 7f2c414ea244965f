"""`humangov employees import|export|separate|delete|reindex`."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Annotated

import typer

from humangov.cli.common import DataDir, StateOpt, actor, err, no_cyclic_gc, open_container, out
from humangov.domain.errors import InvalidInput

app = typer.Typer(help="Import, export, separate and delete employees.", no_args_is_help=True)


@app.command("import")
def employees_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    state: StateOpt, data_dir: DataDir = None,
    documents: Annotated[Path | None, typer.Option(
        "--documents", exists=True, file_okay=False, readable=True,
        help="Folder of the PDFs that the CSV's document column names (only read, never "
             "changed)")] = None,
) -> None:
    """Import a CSV (first_name,last_name,role,salary; optional id,
    action=add|separate|delete, separated_on,separation_reason as the export writes them, and
    document naming a PDF in --documents DIR, stored under a new key with its sha256).

    All or nothing: one bad row (a missing or non-PDF document too) and nothing is imported.
    The files in DIR are left as they are."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from humangov.personnel.importer import ImportRejected, import_csv

    with file.open("rb") as lines:
        total = max(sum(1 for _ in lines) - 1, 0)
    progress = Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err, transient=True)
    try:
        with (open_container(data_dir) as c, progress,
              file.open(newline="", encoding="utf-8-sig") as source, no_cyclic_gc()):
            task = progress.add_task("import", total=total)
            result = import_csv(c.personnel, state, source, actor(),
                                progress=lambda n: progress.advance(task, n),
                                documents=documents)
    except ImportRejected as exc:
        for row in exc.errors:
            err.print(f"{file}:{row.line}: {row.reason}",
                      soft_wrap=True, markup=False, highlight=False)
        if exc.total_bad > len(exc.errors):
            err.print(f"... and {exc.total_bad - len(exc.errors)} more")
        raise
    except UnicodeDecodeError:
        problem = f"{file} is not UTF-8 text; save it as CSV UTF-8 and try again."
        raise InvalidInput(problem) from None
    deleted = (f"; deleted {result.deleted}, their documents queued for erasure"
               if result.deleted else "")
    separated = f"; separated {result.separated}" if result.separated else ""
    out.print(f"imported {result.added} employee(s) into {state.upper()}{separated}{deleted}")


@app.command("export")
def employees_export(
    state: StateOpt, data_dir: DataDir = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="File to write \\[default: stdout]")] = None,
) -> None:
    """Export a state's employees as CSV (without synthetic canary records)."""
    from humangov.personnel.importer import export_rows

    with open_container(data_dir) as c:
        # Checked before the first row: the rows are a generator, and the header must not be
        # written for a state that does not exist.
        rows = export_rows(c.personnel, c.personnel.require_state(state))
        if output is None:
            csv.writer(sys.stdout).writerows(rows)
            return
        with output.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)
    err.print(f"wrote {output}")


@app.command("separate")
def employees_separate(
    employee_id: str, state: StateOpt,
    on: Annotated[str, typer.Option("--on", help="Separation date, such as 2026-06-30")],
    reason: Annotated[str, typer.Option("--reason", help="Such as resigned or retired")],
    data_dir: DataDir = None,
) -> None:
    """Mark an employee separated: they leave the default lists, keep their history, and
    their record and document are kept as the state's retention schedule says."""
    with open_container(data_dir) as c:
        employee = c.personnel.separate_employee(state, employee_id, on, reason, actor())
    out.print(f"separated {employee.id} on {on}")


@app.command("delete")
def employees_delete(employee_id: str, state: StateOpt, data_dir: DataDir = None) -> None:
    """Delete an employee; their document is queued for erasure."""
    with open_container(data_dir) as c:
        c.personnel.delete_employee(state, employee_id, actor())
    out.print(f"deleted {employee_id}; its document is queued for erasure")


@app.command("reindex")
def employees_reindex(state: StateOpt, data_dir: DataDir = None) -> None:
    """Write the search entries and list items of a state's employees stored before they
    existed, and set the list counts (DynamoDB); idempotent. The embedded database indexes
    them itself (migration 0008)."""
    from humangov.ports import SearchIndex

    with open_container(data_dir) as c:
        code = c.personnel.require_state(state)
        if not isinstance(c.records, SearchIndex):
            out.print("the records database keeps its search index itself; nothing to do")
            return
        count = c.records.rebuild_search_index(code)
    out.print(f"indexed {count} employees of {code} for search and lists")
