"""Who may do what. Platform admins see every state; state admins, editors, viewers and counsel
see one.

A state admin is an editor of its state who also manages that state's users and reads its
erasure evidence (ledger, compliance report, dead letters). Counsel reads its state's records,
files and reads its erasure requests and reads its compliance report, but changes no record.
Platform admins manage states, platform settings and every user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from humangov.domain.errors import Forbidden, InvalidInput, NotYours

ROLES = ("admin", "state-admin", "editor", "viewer", "counsel")
READ_ONLY = ("viewer", "counsel")  # roles that read a state's records but never change them


@dataclass(frozen=True, slots=True)
class User:
    id: str
    email: str
    role: str
    state: str | None
    password_hash: str
    created_at: datetime
    disabled: bool = False

    @property
    def grant(self) -> str:
        """What the user may do, such as "state-admin for CA" or "admin"."""
        return self.role + (f" for {self.state}" if self.state else "")


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
            raise NotYours(state, self.state)

    def require_write(self, state: str) -> None:
        self.require_read(state)
        if self.role in READ_ONLY:
            raise Forbidden(
                f"Your role is {self.role}: you can read this state's records but not change "
                "them."
            )

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("Only platform admins can do this.")

    def may_manage_token(self, token: ApiToken) -> bool:
        """Admins manage every token; anyone else the tokens they created."""
        return self.is_admin or (self.user_id is not None and token.owner == self.user_id)

    def administers(self, state: str) -> bool:
        return self.is_admin or (self.role == "state-admin" and self.state == state)

    def require_state_admin(self, state: str, what: str) -> None:
        """`what` completes "Only ... can <what>.", such as "read the compliance report"."""
        self.require_read(state)
        if not self.administers(state):
            raise Forbidden(
                f"Your role is {self.role}: only a state admin of {state} or a platform admin "
                f"can {what}."
            )

    def require_counsel(self, state: str, what: str) -> None:
        """Erasure requests and the compliance report: counsel of the state, its state admins
        and platform admins. `what` completes "Only ... can <what>."."""
        self.require_read(state)
        if not (self.administers(state) or self.role == "counsel"):
            raise Forbidden(
                f"Your role is {self.role}: only counsel or a state admin of {state}, or a "
                f"platform admin, can {what}."
            )

    def require_manage_users(self, state: str | None) -> None:
        """May this caller manage users of `state` (None: platform admins)? Another state's
        users answer 404, like its data."""
        if state is None:
            if not self.is_admin:
                raise Forbidden("Only platform admins can manage platform admins.")
            return
        self.require_state_admin(state, "manage its users")

    def require_list_users(self) -> None:
        if not (self.is_admin or self.role == "state-admin"):
            raise Forbidden(
                f"Your role is {self.role}: only state admins and platform admins manage users."
            )


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
