"""`humangov holds list|add|release`: legal holds, under which nothing in scope is erased."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from humangov.cli.common import DataDir, actor, open_container, out

if TYPE_CHECKING:
    from humangov.domain.auth import Principal

app = typer.Typer(help="Legal holds: while one is in force, nothing it covers is erased.",
                  no_args_is_help=True)

State = Annotated[str, typer.Option("--state", help="USPS code, such as CA.")]


@app.command("list")
def list_command(
    state: State, data_dir: DataDir = None,
    active: Annotated[bool, typer.Option("--active", help="Only holds in force.")] = False,
    fmt: Annotated[Literal["table", "json"], typer.Option("--format")] = "table",
) -> None:
    """The state's legal holds, oldest first, and the erasures each keeps waiting."""
    from humangov.domain.states import normalize_code

    code = normalize_code(state)
    with open_container(data_dir) as c:
        holds = c.holds.list(_operator(), code, active_only=active)
        waiting = c.erasures.held(code)
    if fmt == "json":
        import orjson

        from humangov.erasure.report import holds_section

        sys.stdout.write(orjson.dumps(holds_section(holds, waiting),
                                      option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table("id", "matter", "covers", "placed", "released",
                  title=f"{len(holds)} legal hold(s) in {code}; {len(waiting)} erasure(s) held")
    for h in holds:
        table.add_row(*(escape(v) for v in (
            h.id, h.matter, h.scope, f"{h.placed_at:%Y-%m-%d %H:%M} by {h.placed_by}",
            f"{h.released_at:%Y-%m-%d %H:%M} by {h.released_by}" if h.released_at else "")))
    out.print(table)


@app.command("add")
def add_command(
    state: State,
    matter: Annotated[str, typer.Option("--matter", help="The matter, such as a case number.")],
    employees: Annotated[list[str] | None, typer.Option(
        "--employee", help="An employee to hold (repeat it); none holds the whole state.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Place a legal hold on employees of a state, or on the whole state."""
    from humangov.domain.states import normalize_code

    with open_container(data_dir) as c:
        hold = c.holds.place(_operator(), normalize_code(state), matter, employees or ())
    out.print(f"placed legal hold {hold.id} ({hold.matter}) on {hold.scope} in {hold.state}")


@app.command("release")
def release_command(
    hold_id: Annotated[str, typer.Argument(help="The hold's id, as `holds list` shows it.")],
    state: State, data_dir: DataDir = None,
) -> None:
    """Release a legal hold: the erasures it kept waiting are carried out (with receipts)."""
    from humangov.domain.states import normalize_code

    with open_container(data_dir) as c:
        hold = c.holds.release(_operator(), normalize_code(state), hold_id)
    out.print(f"released legal hold {hold.id} ({hold.matter}) in {hold.state}")


def _operator() -> Principal:
    """The operator at this shell, with the system's rights; the audit log names them."""
    from humangov.domain.auth import SYSTEM, Principal

    return Principal(actor(), SYSTEM.role)
