"""`humangov users add|list` and `humangov tokens create|list|revoke`."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Annotated

import typer

from humangov.cli.common import DataDir, actor, open_container, out
from humangov.cli.erasure import parse_duration
from humangov.domain.auth import SYSTEM

users = typer.Typer(help="People who log in to the web UI.", no_args_is_help=True)
tokens = typer.Typer(help="API bearer tokens.", no_args_is_help=True)

RoleOpt = Annotated[str, typer.Option(help="admin, editor or viewer")]


@users.command("add")
def users_add(
    email: str,
    role: RoleOpt,
    state: Annotated[str | None, typer.Option(help="The state of an editor or viewer")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a user; the password is read from HUMANGOV_NEW_PASSWORD or prompted for."""
    password = os.environ.get("HUMANGOV_NEW_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True, err=True)
    with open_container(data_dir) as c:
        user = c.accounts.add_user(email, password, role, state, actor=actor())
    out.print(f"created {user.role} {user.email}" + (f" for {user.state}" if user.state else ""))


@users.command("list")
def users_list(data_dir: DataDir = None) -> None:
    """List users."""
    from rich.table import Table

    with open_container(data_dir) as c:
        listed = c.accounts.list_users()
    table = Table("email", "role", "state", "created")
    for u in listed:
        table.add_row(u.email, u.role, u.state or "all", u.created_at.strftime("%Y-%m-%d %H:%M"))
    out.print(table)


@tokens.command("create")
def tokens_create(
    role: RoleOpt,
    state: Annotated[str | None, typer.Option(help="The state of an editor or viewer")] = None,
    name: Annotated[str, typer.Option(help="A label to recognise the token by")] = "",
    expires: Annotated[str | None, typer.Option(
        help="Stop working after this long, such as 30d or 12h (default: never)")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create an API token and print it alone on stdout (it is shown only once)."""
    lifetime = parse_duration(expires) if expires else None
    with open_container(data_dir) as c:
        plain, _ = c.accounts.create_token(role, state, name, expires_in=lifetime,
                                           actor=actor())
    print(plain)


@tokens.command("list")
def tokens_list(data_dir: DataDir = None) -> None:
    """List every token by id (the secrets themselves are not stored)."""
    from rich.table import Table

    with open_container(data_dir) as c:
        listed = c.accounts.list_tokens(SYSTEM)
    table = Table("name", "role", "state", "created", "expires", "last used")
    table.add_column("id", no_wrap=True, min_width=36)  # whole, to paste into `revoke`
    for t in listed:
        table.add_row(t.name, t.role, t.state or "all", _minute(t.created_at),
                      _minute(t.expires_at) or "never", _minute(t.last_used_at) or "never", t.id)
    out.print(table)


@tokens.command("revoke")
def tokens_revoke(token_id: str, data_dir: DataDir = None) -> None:
    """Revoke a token by id: it stops working at once."""
    with open_container(data_dir) as c:
        token = c.accounts.revoke_token(SYSTEM, token_id)
    out.print(f"revoked {token.name} ({token.id})")


def _minute(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at else ""
