"""`humangov audit`: the security audit log, newest first."""

from __future__ import annotations

import dataclasses
import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from humangov.cli.common import DataDir, open_container, out
from humangov.cli.erasure import parse_duration

if TYPE_CHECKING:
    from humangov.domain.audit import AuditEvent

PAGE = 200


def audit(
    state: Annotated[str | None, typer.Option(
        "--state", help="Only events about this state (USPS code, such as CA).")] = None,
    kind: Annotated[str | None, typer.Option(
        "--kind", help="Only this kind of event, such as login.failed.")] = None,
    since: Annotated[timedelta | None, typer.Option(
        "--since", parser=parse_duration, metavar="DURATION",
        help="Only events of this last while: 90s, 30m, 24h, 7d.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many events.")] = 100,
    fmt: Annotated[Literal["table", "json"], typer.Option(
        "--format", help="table, or json: one JSON object per line (JSON Lines).")] = "table",
    data_dir: DataDir = None,
) -> None:
    """Security events: logins, lockouts, sessions ended, users and tokens added or changed."""
    from humangov.domain.auth import SYSTEM
    from humangov.domain.states import normalize_code

    with open_container(data_dir) as c:
        after = c.clock.now() - since if since is not None else None
        code = normalize_code(state) if state else None
        events: list[AuditEvent] = []
        cursor: str | None = None
        while len(events) < limit:
            page, cursor = c.audit.events(SYSTEM, limit=min(PAGE, limit - len(events)),
                                          cursor=cursor, kind=kind, state=code, since=after)
            events.extend(page)
            if cursor is None:
                break
    if fmt == "json":
        import orjson

        sys.stdout.write("".join(
            orjson.dumps(dataclasses.asdict(e)).decode() + "\n" for e in events))
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table("at (UTC)", "kind", "actor", "state", "subject", "client", "detail")
    for e in events:
        detail = " ".join(f"{k}={v}" for k, v in e.detail.items())
        table.add_row(*(escape(v) for v in (
            e.at.strftime("%Y-%m-%d %H:%M:%S"), e.kind, e.actor, e.state or "", e.subject or "",
            e.client or "", detail)))
    out.print(table)
