"""Who may do what. Platform admins see every state; editors and viewers see one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from humangov.domain.errors import Forbidden, InvalidInput, NotFound

ROLES = ("admin", "editor", "viewer")


@dataclass(frozen=True, slots=True)
class User:
    id: str
    email: str
    role: str
    state: str | None
    password_hash: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: str
    name: str
    role: str
    state: str | None
    token_hash: str
    created_at: datetime
    owner: str | None = None  # the user who created it; None for tokens made with the CLI
    expires_at: datetime | None = None
    last_used_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


@dataclass(frozen=True, slots=True)
class LoginSession:
    """A browser's login, kept on the server: the cookie holds a random id, the store only its
    hash, so a copied cookie dies with the row (logout, sign out everywhere, timeouts)."""

    id_hash: str
    user_id: str
    created_at: datetime
    last_seen_at: datetime
    csrf: str


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of a request or command. `actor` is what history and receipts record."""

    actor: str
    role: str
    state: str | None = None  # None for platform admins
    # The monitoring canary: what it creates is synthetic (left out of lists, exports and
    # reports). Set only by Accounts, for the identities `serve` registered as its canary.
    canary: bool = False
    user_id: str | None = None  # the user acting, or who owns the token acting


    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_see(self, state: str) -> bool:
        return self.is_admin or self.state == state

    def require_read(self, state: str) -> None:
        # Another state's data answers 404, never 403: its existence is not ours to reveal.
        if not self.can_see(state):
            raise NotFound(f"The state {state} is not provisioned in this HumanGov.")

    def require_write(self, state: str) -> None:
        self.require_read(state)
        if self.role == "viewer":
            raise Forbidden(
                "Your role is viewer: you can read this state's records but not change them."
            )

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("Only platform admins can do this.")

    def may_manage_token(self, token: ApiToken) -> bool:
        """Admins manage every token; anyone else the tokens they created."""
        return self.is_admin or (self.user_id is not None and token.owner == self.user_id)


def check_role(role: str, state: str | None) -> None:
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}; got {role!r}.", field="role")
    if role == "admin" and state:
        raise InvalidInput(
            "A platform admin covers every state; do not give --state.", field="state"
        )
    if role != "admin" and not state:
        raise InvalidInput(
            f"A {role} belongs to one state; give --state, such as --state CA.", field="state"
        )


SYSTEM = Principal("system", "admin")
