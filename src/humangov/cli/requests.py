"""`humangov requests`: counsel's erasure requests, filed, listed, shown and checked."""

from __future__ import annotations

import sys
from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from humangov.cli.common import DataDir, actor, open_container, out
from humangov.cli.scheduled import each_state, raise_if_failed, summary

if TYPE_CHECKING:
    from humangov.domain.auth import Principal

app = typer.Typer(help="Erasure requests: whom, on what legal basis, by when; and the proof.",
                  no_args_is_help=True)

State = Annotated[str, typer.Option("--state", help="The state's USPS code, such as CA.")]
Format = Annotated[Literal["table", "json"], typer.Option(
    "--format", help="table, or json: one JSON object per request, a line each.")]
# The check's summary line; infra/'s metric filters match it (tests/infra checks both agree).
REQUESTS_EVENT = "humangov-requests-check"


def _cli_principal() -> Principal:
    from humangov.domain.auth import Principal

    return Principal(actor(), "admin")


def _print(requests: list, fmt: str) -> None:
    from humangov.erasure_requests.service import as_json

    if fmt == "json":
        import orjson

        sys.stdout.write("".join(orjson.dumps(as_json(r)).decode() + "\n" for r in requests))
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table("id", "filed (UTC)", "whom", "due", "status", "receipts", "outcome")
    for r in requests:
        table.add_row(*(escape(v) for v in (
            r.id, r.filed_at.strftime("%Y-%m-%d %H:%M"), r.subject, r.due.isoformat(), r.status,
            str(len(r.receipts)), r.outcome or "")))
    out.print(table)


@app.command("list")
def list_requests(state: State, fmt: Format = "table", data_dir: DataDir = None) -> None:
    """The state's requests, newest first, with their status (open, blocked, overdue, done)."""
    with open_container(data_dir) as c:
        _print(c.requests.listing(_cli_principal(), state), fmt)


@app.command("file")
def file_request(
    state: State,
    subject: Annotated[str, typer.Option(
        "--subject", help="Whom it concerns: employee ids or full names, comma separated.")],
    basis: Annotated[str, typer.Option("--basis", help="The legal basis, such as a statute.")],
    due: Annotated[str, typer.Option("--due", help="The date it must be done by: YYYY-MM-DD.")],
    fmt: Format = "table",
    data_dir: DataDir = None,
) -> None:
    """File a request: what it concerns is erased now, except what a legal hold keeps."""
    try:
        by = date.fromisoformat(due)
    except ValueError:
        raise typer.BadParameter(f"{due!r} is not a date like 2026-03-31.",
                                 param_hint="--due") from None
    with open_container(data_dir) as c:
        filed = c.requests.file(_cli_principal(), state, subject=subject, legal_basis=basis,
                                due=by)
    _print([filed], fmt)


@app.command("show")
def show_request(
    request_id: Annotated[str, typer.Argument(help="The request's id")],
    state: State, fmt: Format = "table", data_dir: DataDir = None,
) -> None:
    """One request with its receipts."""
    with open_container(data_dir) as c:
        request = c.requests.get(_cli_principal(), state, request_id)
    _print([request], fmt)
    if fmt == "table":
        for r in request.receipts:
            out.print(f"  {r.erased_at:%Y-%m-%d %H:%M:%S}  {r.result:15} {r.key}")
        for held in request.held:
            out.print(f"  held by a legal hold: employee {held}")


@app.command("check")
def check_requests(
    fmt: Annotated[Literal["table", "json"], typer.Option(
        "--format", help="table, or json: one summary line (states, closed, newly_overdue, "
                         "overdue, purged, failed) for a scheduler's log.")] = "table",
    data_dir: DataDir = None,
) -> None:
    """Retry what holds no longer block, close requests whose erasures all have receipts, mark
    overdue ones and purge those closed more than 24 months ago, in every state (`serve` does
    this hourly unless HUMANGOV_REQUESTS_SCHEDULE=off). Exits 1 if a state failed."""
    from humangov.domain.requests import OVERDUE

    principal = _cli_principal()
    with open_container(data_dir) as c:
        def check(code: str) -> dict[str, int]:
            result = c.requests.check([code])
            # Every request still overdue, not only the new ones: the alarm stays raised
            # until none is.
            overdue = sum(r.status == OVERDUE for r in c.requests.listing(principal, code))
            return {"closed": len(result.closed), "newly_overdue": len(result.overdue),
                    "overdue": overdue, "purged": result.purged}

        codes = [s.code for s in c.personnel.list_states()]
        totals, failed = each_state(codes, check, "the request check",
                                    ("closed", "newly_overdue", "overdue", "purged"))
    if fmt == "json":
        summary(REQUESTS_EVENT, "the request check", len(codes), totals, failed)
        return
    out.print(f"closed {totals['closed']}, newly overdue {totals['newly_overdue']}, "
              f"purged {totals['purged']}")
    raise_if_failed("the request check", failed)
