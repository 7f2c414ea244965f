"""`humangov states list|add|remove`."""

from __future__ import annotations

from typing import Annotated

import typer

from humangov.cli.common import DataDir, actor, confirm, open_container, out

app = typer.Typer(help="Provision and offboard states.", no_args_is_help=True)


@app.command("list")
def states_list(data_dir: DataDir = None) -> None:
    """List the provisioned states."""
    from rich.table import Table

    with open_container(data_dir) as c:
        states = c.personnel.list_states()
    table = Table("code", "name")
    for s in states:
        table.add_row(s.code, s.name)
    out.print(table)


@app.command("add")
def states_add(
    codes: Annotated[list[str], typer.Argument(help="USPS codes, or ALL")],
    data_dir: DataDir = None,
    recreate: Annotated[bool, typer.Option(
        "--recreate-missing-store",
        help="Create an empty documents store for a state whose store is missing. Only after "
             "its documents are truly lost: pending erasures of them are then receipted "
             "'already absent'.")] = False,
) -> None:
    """Provision states (idempotent). A provisioned state's missing store is not recreated
    unless --recreate-missing-store says so."""
    from humangov.domain.states import STATE_NAMES

    with open_container(data_dir) as c:
        for code in (list(STATE_NAMES) if [x.upper() for x in codes] == ["ALL"] else codes):
            created = c.personnel.add_state(code, recreate_missing_store=recreate)
            out.print(f"{code.upper()}: {'provisioned' if created else 'already provisioned'}")


@app.command("remove")
def states_remove(
    code: Annotated[str, typer.Argument(metavar="CODE", help="USPS code, such as CA")],
    data_dir: DataDir = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Offboard a state: delete its records and queue every document for erasure."""
    with open_container(data_dir) as c:
        code = c.personnel.require_state(code)
        if not yes:
            confirm(f"Delete every record of {code} and erase its documents?")
        removed = c.personnel.remove_state(code, actor())
    out.print(f"{code}: offboarded; {removed} employee record(s) deleted, "
              "their documents queued for erasure.")
