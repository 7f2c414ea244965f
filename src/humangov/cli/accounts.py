"""`humangov users add|list|set-role|disable|enable|remove` and `humangov tokens
create|list|revoke`.

The CLI is the operator's: it acts as the system, over every state, under the name
`cli:$USER` in the audit log."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Annotated

import typer

from humangov.cli.common import DataDir, actor, confirm, open_container, out
from humangov.cli.erasure import parse_duration
from humangov.domain.auth import SYSTEM, Principal
from humangov.domain.errors import InvalidInput

users = typer.Typer(help="People who log in to the web UI.", no_args_is_help=True)
tokens = typer.Typer(help="API bearer tokens.", no_args_is_help=True)

RoleOpt = Annotated[str, typer.Option(help="admin, state-admin, editor, viewer or counsel")]
StateOpt = Annotated[str | None, typer.Option(
    help="The state of a state-admin, editor, viewer or counsel, such as CA")]
Email = Annotated[str, typer.Argument(help="The user's email")]


@users.command("add")
def users_add(
    email: str,
    role: RoleOpt,
    state: StateOpt = None,
    generate: Annotated[bool, typer.Option(
        "--generate-password", help="Generate the password and print it once")] = False,
    data_dir: DataDir = None,
) -> None:
    """Create a user; the password is read from HUMANGOV_NEW_PASSWORD or prompted for, or
    generated with --generate-password."""
    password = None if generate else os.environ.get("HUMANGOV_NEW_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True, err=True)
    with open_container(data_dir) as c:
        if password is None:
            user, password = c.accounts.invite_user(email, role, state, by=_operator())
        else:
            user = c.accounts.add_user(email, password, role, state, by=_operator())
            password = None
    out.print(f"created {user.email} as {user.grant}")
    if password:
        out.print(f"password (shown only once): {password}", highlight=False)


@users.command("list")
def users_list(data_dir: DataDir = None) -> None:
    """List users with their role, state and whether they are disabled."""
    from rich.table import Table

    with open_container(data_dir) as c:
        listed = c.accounts.list_users()
    table = Table("email", "role", "state", "disabled", "created")
    for u in listed:
        table.add_row(u.email, u.role, u.state or "all", "yes" if u.disabled else "no",
                      u.created_at.strftime("%Y-%m-%d %H:%M"))
    out.print(table)


@users.command("set-role")
def users_set_role(email: Email, role: RoleOpt, state: StateOpt = None,
                   data_dir: DataDir = None) -> None:
    """Change a user's role (and state); it takes effect at the user's next request."""
    with open_container(data_dir) as c:
        user = c.accounts.set_role(c.accounts.find_user(email).id, role, state)
    out.print(f"{user.email} is now {user.grant}")


@users.command("disable")
def users_disable(email: Email, data_dir: DataDir = None) -> None:
    """Stop a user logging in; its sessions and tokens stop working at once."""
    with open_container(data_dir) as c:
        user = c.accounts.set_disabled(c.accounts.find_user(email).id, True)
    out.print(f"disabled {user.email}")


@users.command("enable")
def users_enable(email: Email, data_dir: DataDir = None) -> None:
    """Let a disabled user log in again."""
    with open_container(data_dir) as c:
        user = c.accounts.set_disabled(c.accounts.find_user(email).id, False)
    out.print(f"enabled {user.email}")


@users.command("remove")
def users_remove(
    email: Email,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Remove a user; its tokens stop working. What it did stays in history and receipts."""
    with open_container(data_dir) as c:
        user = c.accounts.find_user(email)
        if not yes:
            confirm(f"Remove {user.email} ({user.grant})?")
        c.accounts.remove_user(user.id)
    out.print(f"removed {user.email}")


@tokens.command("create")
def tokens_create(
    role: Annotated[str | None, typer.Option(
        help="admin, state-admin, editor or viewer (not with --owner)")] = None,
    state: StateOpt = None,
    name: Annotated[str, typer.Option(help="A label to recognise the token by")] = "",
    expires: Annotated[str | None, typer.Option(
        help="Stop working after this long, such as 30d or 12h (default: never)")] = None,
    owner: Annotated[str | None, typer.Option(
        help="The user (email) the token acts for: it takes their role and state, and stops "
             "when they are disabled or removed")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create an API token and print it alone on stdout (it is shown only once)."""
    if (role is None) == (owner is None):
        raise InvalidInput("Give either --role (with --state for a state's role) or --owner "
                           "EMAIL, the user the token acts for.")
    lifetime = parse_duration(expires) if expires else None
    with open_container(data_dir) as c:
        user_id = None
        if owner is not None:
            user = c.accounts.find_user(owner)
            role, state, user_id = user.role, user.state, user.id
        assert role is not None
        plain, _ = c.accounts.create_token(role, state, name, expires_in=lifetime,
                                           owner=user_id, actor=actor())
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


def _operator() -> Principal:
    """Who the audit log names for a command: the operator at this shell, as the system."""
    return Principal(actor(), SYSTEM.role)
