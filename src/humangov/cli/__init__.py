"""The `humangov` command line: one app; each module a command group, thin (parse, call one
use case, print). Shared options, settings and error handling live in `common`."""

from __future__ import annotations

import typer

from humangov.cli import (
    accounts,
    adopt,
    audit,
    employees,
    erasure,
    holds,
    legacy,
    monitor,
    requests,
    retention,
    serve,
    states,
    stream_worker,
    sweep,
)
from humangov.cli.common import Commands

app = typer.Typer(
    cls=Commands, help="HumanGov: personnel records for the 50 US states.", no_args_is_help=True,
    pretty_exceptions_enable=False, add_completion=False,
    epilog="Exit codes: 0 done, 1 failed (with an `error:` line), 2 wrong usage or settings.",
)
app.command()(serve.serve)
app.add_typer(states.app, name="states")
app.add_typer(accounts.users, name="users")
app.add_typer(accounts.tokens, name="tokens")
app.command("audit")(audit.audit)
app.add_typer(employees.app, name="employees")
app.command("worker")(erasure.worker_command)
app.command("monitor")(monitor.monitor)
erasure.orphans.command("daily")(sweep.daily)
app.add_typer(erasure.orphans, name="orphans")
app.add_typer(erasure.erasure, name="erasure")
app.add_typer(erasure.compliance, name="compliance")
app.add_typer(legacy.app, name="legacy")
app.add_typer(retention.app, name="retention")
app.add_typer(holds.app, name="holds")
app.command("stream-worker")(stream_worker.stream_worker)
app.command("adopt")(adopt.adopt)
app.add_typer(requests.app, name="requests")

__all__ = ["app"]
