"""`humangov retention show|set|run`: retention schedules per state, and the run that erases
what they have let expire."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import typer

from humangov.cli.common import DataDir, StateOpt, actor, err, open_container, out
from humangov.cli.scheduled import each_state, summary

if TYPE_CHECKING:
    from humangov.bootstrap import Container

app = typer.Typer(help="Retention schedules of separated employees.", no_args_is_help=True)

Format = Annotated[Literal["table", "json"], typer.Option(
    "--format", help="table, or json: one JSON object per line (JSON Lines).")]
# The daily run's summary line; infra/'s metric filters match it (tests/infra checks both agree).
RETENTION_EVENT = "humangov-retention-run"

AnyState = Annotated[str | None, typer.Option(
    "--state", help="USPS code of the state, such as CA \\[default: every state]")]


@app.command("show")
def show(state: AnyState = None, fmt: Format = "table", data_dir: DataDir = None) -> None:
    """The schedule in force per state (off: kept for ever)."""
    with open_container(data_dir) as c:
        codes = _states(c, state)
        schedules = [c.retention.show(code) for code in codes]
    if fmt == "json":
        import orjson

        out.file.write("".join(orjson.dumps(s.as_dict()).decode() + "\n" for s in schedules))
        return
    for s in schedules:
        out.print(f"{s.state}  document {_years(s.document_years)}  record "
                  f"{_years(s.record_years)}" + (f"  (set by {s.set_by})" if s.set_by else ""),
                  highlight=False)


@app.command("set")
def set_schedule(
    state: StateOpt,
    document_years: Annotated[str, typer.Option(
        "--document-years", help="Years a separated employee's document is kept, or off")],
    record_years: Annotated[str, typer.Option(
        "--record-years", help="Years their record is kept, or off")],
    data_dir: DataDir = None,
) -> None:
    """Set a state's schedule (recorded in the audit log)."""
    from humangov.domain.auth import Principal

    with open_container(data_dir) as c:
        code = c.personnel.require_state(state)
        s = c.retention.set(code, document_years, record_years, Principal(actor(), "admin"))
    out.print(f"{s.state}: document {_years(s.document_years)}, record "
              f"{_years(s.record_years)}", highlight=False)


@app.command("run")
def run(
    state: AnyState = None, fmt: Format = "table",
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Only say what would be erased, and when it was due")] = False,
    data_dir: DataDir = None,
) -> None:
    """Erase the records and documents whose retention period has ended (reason
    retention-expired, with receipts); held employees are skipped."""
    with open_container(data_dir) as c:
        results = c.retention.run(_states(c, state), dry_run=dry_run)
    if fmt == "json":
        import orjson

        out.file.write("".join(orjson.dumps(r.as_dict()).decode() + "\n" for r in results))
        return
    verb = "would erase" if dry_run else "erased"
    for r in results:
        label = verb if r.outcome in ("due", "erased") else r.outcome
        out.print(f"{r.state}  {r.employee_id}  {r.what}  due {r.due.isoformat()}  {label}",
                  highlight=False)
    out.print(f"{sum(r.outcome in ('due', 'erased') for r in results)} item(s) {verb}")


@app.command("daily")
def daily(data_dir: DataDir = None) -> None:
    """The scheduled run over every state (what `serve` does daily unless
    HUMANGOV_RETENTION_SCHEDULE=off): erase what has expired, name on stderr what is more than
    HUMANGOV_RETENTION_LATE_DAYS past its date and not held, then print one JSON line:
    states, erased, held, late, failed. Exits 1 if a state failed (the others still ran)."""
    with open_container(data_dir) as c:
        late_days = c.settings.retention_late_days

        def run_state(code: str) -> dict[str, int]:
            results = c.retention.run([code])
            held = {(r.employee_id, r.what) for r in results if r.outcome == "held"}
            # A hold keeps what it holds for as long as the matter lasts: not late, not alarmed.
            late = [x for x in c.retention.past_due(code, late_days)
                    if (x.employee_id, x.what) not in held]
            for x in late:
                err.print(f"{code}: the {x.what} of {x.employee_id} was due {x.due.isoformat()} "
                          "and is not erased yet", highlight=False)
            return {"erased": sum(r.outcome == "erased" for r in results), "held": len(held),
                    "late": len(late)}

        codes = _states(c, None)
        totals, failed = each_state(codes, run_state, "the retention run",
                                    ("erased", "held", "late"))
    summary(RETENTION_EVENT, "the retention run", len(codes), totals, failed)


def _states(c: Container, state: str | None) -> list[str]:
    if state is not None:
        return [c.personnel.require_state(state)]
    return [s.code for s in c.personnel.list_states()]


def _years(years: int | None) -> str:
    return "off" if years is None else f"{years} year(s)"
