"""`humangov users add|list|set-role|disable|enable|remove` and `humangov tokens create`.

The CLI is the operator's: it acts as the system, over every state."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from humangov.cli.common import DataDir, confirm, open_container, out

users = typer.Typer(help="People who log in to the web UI.", no_args_is_help=True)
tokens = typer.Typer(help="API bearer tokens.", no_args_is_help=True)

RoleOpt = Annotated[str, typer.Option(help="admin, state-admin, editor or viewer")]
StateOpt = Annotated[
    str | None, typer.Option(help="The state of a state-admin, editor or viewer, such as CA")]
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
            user, password = c.accounts.invite_user(email, role, state)
        else:
            user = c.accounts.add_user(email, password, role, state)
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
    role: RoleOpt,
    state: StateOpt = None,
    name: Annotated[str, typer.Option(help="A label to recognise the token by")] = "",
    data_dir: DataDir = None,
) -> None:
    """Create an API token and print it alone on stdout (it is shown only once)."""
    with open_container(data_dir) as c:
        plain, _ = c.accounts.create_token(role, state, name)
    print(plain)
