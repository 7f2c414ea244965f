"""The `humangov` command line. Thin: parse, call a use case, print."""

from __future__ import annotations

import csv
import functools
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from humangov.domain.auth import SYSTEM
from humangov.domain.errors import HumanGovError

app = typer.Typer(help="HumanGov: personnel records for the 50 US states.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
states_app = typer.Typer(help="Provision and offboard states.", no_args_is_help=True)
users_app = typer.Typer(help="People who log in to the web UI.", no_args_is_help=True)
tokens_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)
employees_app = typer.Typer(help="Import, export and delete employees.", no_args_is_help=True)
app.add_typer(states_app, name="states")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(employees_app, name="employees")

out = Console()
err = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory [default: $HUMANGOV_DATA_DIR or ./var]", show_default=False),
]
StateOpt = Annotated[str, typer.Option("--state", help="USPS code of the state, such as CA")]


def load_settings(data_dir: Path | None = None, **overrides):
    from humangov.config import Settings

    try:
        if data_dir is not None:
            overrides["data_dir"] = data_dir
        return Settings(**overrides)
    except ValidationError as exc:
        for e in exc.errors():
            name = "HUMANGOV_" + "_".join(str(p) for p in e["loc"]).upper()
            err.print(f"[red]error:[/] {name}: {e['msg']}")
        raise typer.Exit(2) from None


def container_for(data_dir: Path | None = None, **overrides):
    from humangov.bootstrap import bootstrap

    return bootstrap(load_settings(data_dir, **overrides))


def friendly(fn):
    """Print our errors as one clear line (exit 1) instead of a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except HumanGovError as exc:
            err.print(f"[red]error:[/] {escape(exc.detail)}", soft_wrap=True, highlight=False)
            raise typer.Exit(1) from None

    return wrapper


# serve ------------------------------------------------------------------------------------
@app.command()
@friendly
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind [default: 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: 8000]")] = None,
    data_dir: DataDir = None,
    monitoring_config: Annotated[Path | None, typer.Option("--monitoring-config", help="Checks YAML")] = None,
    no_monitoring: Annotated[bool, typer.Option("--no-monitoring", help="Do not run canaries in-process")] = False,
):
    """Serve the web UI and API, with the erasure worker, the sweep and the monitor in-process."""
    import uvicorn

    from humangov.bootstrap import server

    overrides = {k: v for k, v in (("host", host), ("port", port), ("monitoring_config", monitoring_config)) if v}
    if no_monitoring:
        overrides["monitoring"] = False
    settings = load_settings(data_dir, **overrides)
    web_app, _ = server(settings, announce=out.print)
    out.print(f"HumanGov is serving on [bold]{settings.public_url}[/] (data in {settings.data_dir})")
    uvicorn.run(web_app, host=settings.host, port=settings.port, log_level="info",
                access_log=False, proxy_headers=True)


# states -----------------------------------------------------------------------------------
@states_app.command("list")
@friendly
def states_list(data_dir: DataDir = None):
    """List the provisioned states."""
    c = container_for(data_dir)
    table = Table("code", "name")
    for s in c.personnel.list_states():
        table.add_row(s.code, s.name)
    out.print(table)


@states_app.command("add")
@friendly
def states_add(codes: Annotated[list[str], typer.Argument(help="USPS codes, or ALL")], data_dir: DataDir = None):
    """Provision states (idempotent)."""
    from humangov.domain.states import STATE_NAMES

    c = container_for(data_dir)
    for code in (list(STATE_NAMES) if [x.upper() for x in codes] == ["ALL"] else codes):
        created = c.personnel.add_state(code)
        out.print(f"{code.upper()}: {'provisioned' if created else 'already provisioned'}")


@states_app.command("remove")
@friendly
def states_remove(
    code: str, data_dir: DataDir = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
):
    """Offboard a state: delete its records and queue every document for erasure."""
    c = container_for(data_dir)
    code = c.personnel.require_state(code)
    if not yes and not typer.confirm(f"Delete every record of {code} and erase its documents?"):
        raise typer.Exit(1)
    removed = c.personnel.remove_state(code, "cli:" + _user())
    out.print(f"{code}: offboarded; {removed} employee record(s) deleted, their documents queued for erasure.")


# users and tokens ---------------------------------------------------------------------------
@users_app.command("add")
@friendly
def users_add(
    email: str,
    role: Annotated[str, typer.Option(help="admin, editor or viewer")],
    state: Annotated[str | None, typer.Option(help="The state of an editor or viewer")] = None,
    data_dir: DataDir = None,
):
    """Create a user; the password is read from HUMANGOV_NEW_PASSWORD or prompted for."""
    password = os.environ.get("HUMANGOV_NEW_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    user = container_for(data_dir).accounts.add_user(email, password, role, state)
    out.print(f"created {user.role} {user.email}" + (f" for {user.state}" if user.state else ""))


@users_app.command("list")
@friendly
def users_list(data_dir: DataDir = None):
    """List users."""
    table = Table("email", "role", "state", "created")
    for u in container_for(data_dir).account_store.list_users():
        table.add_row(u.email, u.role, u.state or "all", u.created_at.strftime("%Y-%m-%d %H:%M"))
    out.print(table)


@tokens_app.command("create")
@friendly
def tokens_create(
    role: Annotated[str, typer.Option(help="admin, editor or viewer")],
    state: Annotated[str | None, typer.Option(help="The state of an editor or viewer token")] = None,
    name: Annotated[str, typer.Option(help="A label to recognise the token by")] = "",
    data_dir: DataDir = None,
):
    """Create an API token and print it alone on stdout (it is shown only once)."""
    plain, _ = container_for(data_dir).accounts.create_token(role, state, name)
    print(plain)


# employees --------------------------------------------------------------------------------
@employees_app.command("import")
@friendly
def employees_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
                     state: StateOpt, data_dir: DataDir = None):
    """Import a CSV (first_name,last_name,role,salary; optional id,action=add|delete). All or nothing."""
    from humangov.personnel.importer import ImportRejected, import_csv

    c = container_for(data_dir)
    total = max(sum(1 for _ in file.open("rb")) - 1, 0)
    progress = Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, transient=True)
    try:
        with progress, file.open(newline="", encoding="utf-8-sig") as source:
            task = progress.add_task("import", total=total)
            result = import_csv(c.personnel, state, source, "cli:" + _user(),
                                progress=lambda n: progress.advance(task, n))
    except ImportRejected as exc:
        for row in exc.errors:
            err.print(f"{file}:{row.line}: {row.reason}", soft_wrap=True, markup=False, highlight=False)
        if exc.total_bad > len(exc.errors):
            err.print(f"... and {exc.total_bad - len(exc.errors)} more")
        err.print(f"[red]error:[/] {exc.detail}")
        raise typer.Exit(1) from None
    except UnicodeDecodeError:
        err.print(f"[red]error:[/] {file} is not UTF-8 text; save it as CSV UTF-8 and try again.")
        raise typer.Exit(1) from None
    deleted = f"; deleted {result.deleted}, their documents queued for erasure" if result.deleted else ""
    out.print(f"imported {result.added} employee(s) into {state.upper()}{deleted}")


@employees_app.command("export")
@friendly
def employees_export(
    state: StateOpt, data_dir: DataDir = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write [default: stdout]")] = None,
):
    """Export a state's employees as CSV (without synthetic canary records)."""
    from humangov.personnel.importer import export_rows

    c = container_for(data_dir)
    rows = export_rows(c.personnel, state)
    if output is None:
        csv.writer(sys.stdout).writerows(rows)
        return
    with output.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    err.print(f"wrote {output}")


@employees_app.command("delete")
@friendly
def employees_delete(employee_id: str, state: StateOpt, data_dir: DataDir = None):
    """Delete an employee; their document is queued for erasure."""
    c = container_for(data_dir)
    c.personnel.delete_employee(state, employee_id, "cli:" + _user())
    out.print(f"deleted {employee_id}; its document is queued for erasure")


def _user() -> str:
    return os.environ.get("USER") or SYSTEM.actor


def main() -> None:  # pragma: no cover - console script entry
    app()


def _mount_capabilities() -> None:
    """Commands owned by other capabilities, mounted here so `humangov --help` shows them all."""
    from humangov.aws.cli import stream_worker
    from humangov.erasure.cli import compliance_app, erasure_app, orphans_app, worker_command
    from humangov.monitoring.cli import monitor

    app.command("worker")(worker_command)
    app.command("monitor")(monitor)
    app.add_typer(orphans_app, name="orphans")
    app.add_typer(erasure_app, name="erasure")
    app.add_typer(compliance_app, name="compliance")
    app.command("stream-worker")(stream_worker)


_mount_capabilities()
