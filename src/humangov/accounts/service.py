"""Accounts: argon2-hashed passwords for people, sha256-hashed bearer tokens for machines,
and server-side login sessions.

Tokens and session ids are 256 random bits, so a fast hash is enough to make a stolen table
useless; passwords are chosen by people, so they get argon2
(https://www.rfc-editor.org/rfc/rfc9106). Sessions follow OWASP's session management advice:
an idle timeout and an absolute lifetime, both enforced on the server.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from humangov.audit.service import Audit
from humangov.domain import audit
from humangov.domain.auth import SYSTEM, ApiToken, LoginSession, Principal, User, check_role
from humangov.domain.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from humangov.domain.states import normalize_code
from humangov.ports import AccountStore, Clock

TOKEN_PREFIX = "hg_"
MIN_PASSWORD = 12
# RFC 5321's longest usable address; longer input is refused before any lookup.
MAX_EMAIL = 254
MAX_TOKEN = 200  # ours are 46 characters; longer is refused before any lookup or cache
MAX_PASSWORD = 1024  # argon2 hashes any length; bound the work a stranger can ask for
MAX_TOKEN_NAME = 100
MAX_TOKEN_DAYS = 3650
# What a token name may not hold: control characters (C0, DEL, C1) and bidi controls, which
# would make a listing lie about what it shows.
TOKEN_NAME_PATTERN = "^[^\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]*$"
# Last-seen and last-used times are this coarse, so a busy client costs no write per request.
TOUCH_EVERY = timedelta(minutes=1)
MAX_CACHED_PRINCIPALS = 10_000  # tokens in use at once; past it, start over
# Controls and spaces spelled out, since regex engines disagree on what \s covers (Python's
# takes in \x1c-\x1f, pydantic's does not): the API's schema uses this pattern too.
EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f-\x9f\ufeff]+@[^@\s\x00-\x1f\x7f-\x9f\ufeff]+$")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(
        self,
        store: AccountStore,
        clock: Clock,
        audit: Audit,
        *,
        session_idle: timedelta = timedelta(minutes=30),
        session_lifetime: timedelta = timedelta(hours=12),
        change_token: Callable[[], object | None] = lambda: None,
    ):
        self.store = store
        # Token -> principal, trusted only while the database is unchanged since (any commit
        # from any process moves `change_token`: a revoked token, a disabled owner or a new
        # role ends the entry at once) and until the token's next expiry or due touch.
        # None from `change_token` (DynamoDB) means no cache: every request looks it up.
        self._change_token = change_token
        self._principals: dict[str, tuple[object, datetime, Principal]] = {}
        self.clock = clock
        self.audit = audit
        self.session_idle, self.session_lifetime = session_idle, session_lifetime
        self.hasher = PasswordHasher()
        # A wrong email still costs one argon2 verify, so timing does not reveal who exists.
        self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        self._canaries: set[str] = set()  # token hashes and emails of the canary identity
        # Called after every change to a user (ending its sessions, for one).
        self.user_listeners: list[Callable[[User], None]] = []

    def mark_canary(self, *, token: str | None = None, email: str | None = None) -> None:
        """Make this token or user the canary: only its records are synthetic."""
        self._principals.clear()
        if token:
            self._canaries.add(hash_token(token))
        if email:
            self._canaries.add(email.strip().lower())

    def add_user(
        self, email: str, password: str, role: str, state: str | None = None,
        *, by: Principal = SYSTEM, client: str | None = None,
    ) -> User:
        email = email.strip().lower()
        if len(email) > MAX_EMAIL or not EMAIL.match(email):
            raise InvalidInput(f"{email!r} is not an email address.", field="email")
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise InvalidInput(
                f"The password must have {MIN_PASSWORD} to {MAX_PASSWORD} characters.",
                field="password",
            )
        state = _role_state(role, state)
        by.require_manage_users(state)
        user = User(
            str(uuid.uuid4()), email, role, state, self.hasher.hash(password), self.clock.now()
        )
        self.store.add_user(user)
        self.audit.record(audit.USER_ADDED, by.actor, state=state, subject=email, client=client,
                          role=role)
        self._user_changed(user)
        return user

    def invite_user(
        self, email: str, role: str, state: str | None = None, *, by: Principal = SYSTEM
    ) -> tuple[User, str]:
        """Add a user with a generated password, returned to be shown once."""
        password = secrets.token_urlsafe(18)
        return self.add_user(email, password, role, state, by=by), password

    def list_users(self, by: Principal = SYSTEM) -> list[User]:
        """The users `by` manages: all for a platform admin, its state's for a state admin."""
        by.require_list_users()
        return [u for u in self.store.list_users() if by.is_admin or u.state == by.state]

    def get_user(self, user_id: str, by: Principal = SYSTEM) -> User:
        user = self.store.get_user(user_id)
        # Someone `by` may not see is answered like someone who does not exist.
        if user is None or not (by.is_admin or (user.state and by.can_see(user.state))):
            raise NotFound(f"There is no user {user_id}.")
        by.require_manage_users(user.state)
        return user

    def find_user(self, email: str, by: Principal = SYSTEM) -> User:
        user = self.store.find_user(email.strip().lower())
        if user is None:
            raise NotFound(f"There is no user with the email {email.strip().lower()}.")
        return self.get_user(user.id, by)

    def set_role(
        self, user_id: str, role: str, state: str | None = None, *, by: Principal = SYSTEM
    ) -> User:
        """Change a user's role (and state). A state admin keeps users in its own state."""
        user = self.get_user(user_id, by)
        state = _role_state(role, state)
        by.require_manage_users(state)
        if role != "admin":
            self._keep_an_admin(user, "change the role of")
        saved = self._save(replace(user, role=role, state=state))
        self.audit.record(audit.USER_CHANGED, by.actor, state=state, subject=user.email,
                          role=role, was=f"{user.role} {user.state or ''}".strip())
        return saved

    def set_disabled(self, user_id: str, disabled: bool, *, by: Principal = SYSTEM) -> User:
        """A disabled user cannot log in, and its sessions and tokens stop working at once."""
        user = self.get_user(user_id, by)
        if disabled:
            self._keep_an_admin(user, "disable")
        saved = self._save(replace(user, disabled=disabled))
        self.audit.record(audit.USER_DISABLED if disabled else audit.USER_CHANGED, by.actor,
                          state=user.state, subject=user.email, disabled=disabled)
        return saved

    def remove_user(self, user_id: str, *, by: Principal = SYSTEM) -> User:
        user = self.get_user(user_id, by)
        self._keep_an_admin(user, "remove")
        if not self.store.remove_user(user.id):
            raise NotFound(f"There is no user {user_id}.")
        self.audit.record(audit.USER_REMOVED, by.actor, state=user.state, subject=user.email)
        self._user_changed(user)
        return user

    def has_platform_admin(self) -> bool:
        return any(u.role == "admin" and not u.disabled for u in self.store.list_users())

    def _keep_an_admin(self, user: User, action: str) -> None:
        # Without an enabled platform admin nobody could manage states or settings.
        if user.role != "admin" or user.disabled:
            return
        others = [u for u in self.store.list_users()
                  if u.role == "admin" and not u.disabled and u.id != user.id]
        if not others:
            raise Conflict(f"You cannot {action} the last enabled platform admin; add another "
                           "platform admin first.")

    def _save(self, user: User) -> User:
        if not self.store.update_user(user):
            raise NotFound(f"There is no user {user.id}.")
        self._user_changed(user)
        return user

    def _user_changed(self, user: User) -> None:
        """Every change to a user ends here (ending its sessions, the audit log, caches)."""
        for listener in self.user_listeners:
            listener(user)

    def authenticate(self, email: str, password: str) -> User:
        user = self.store.find_user(email.strip().lower())
        try:
            self.hasher.verify(user.password_hash if user else self._dummy_hash, password)
        except (VerificationError, InvalidHashError):
            user = None
        if user is None:
            raise Unauthenticated("The email or password is not right.")
        if user.disabled:
            raise Unauthenticated("This account is disabled. Ask an admin of your state.")
        return user

    def create_token(
        self,
        role: str,
        state: str | None = None,
        name: str = "",
        *,
        owner: str | None = None,
        expires_at: datetime | None = None,
        expires_in: timedelta | None = None,
        actor: str = SYSTEM.actor,
        client: str | None = None,
    ) -> tuple[str, ApiToken]:
        """Return the token (shown once) and its stored record (hash only). It expires at
        `expires_at`, or `expires_in` after now, or never."""
        state = normalize_code(state) if state else None
        check_role(role, state)
        name = name.strip() or f"{role}-{state or 'all'}"
        if len(name) > MAX_TOKEN_NAME or not re.match(TOKEN_NAME_PATTERN, name):
            raise InvalidInput(
                f"A token name is text of at most {MAX_TOKEN_NAME} characters, without "
                "control characters.",
                field="name")
        now = self.clock.now()
        if expires_in is not None:
            expires_at = now + expires_in
        if expires_at is not None and expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)  # as every stored time is
        if expires_at is not None and expires_at <= now:
            raise InvalidInput("The expiry must be in the future.", field="expires_at")
        plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(str(uuid.uuid4()), name, role, state, hash_token(plain), now,
                         owner, expires_at)
        self.store.add_token(token)
        self.audit.record(audit.TOKEN_CREATED, actor, state=state, subject=token.id,
                          client=client, name=token.name, role=role)
        return plain, token

    def create_token_for(
        self,
        principal: Principal,
        name: str,
        *,
        expires_in: timedelta | None = None,
    ) -> tuple[str, ApiToken]:
        """A token acting for the principal's user: their role and state, owned by them."""
        return self.create_token(principal.role, principal.state, name,
                                 owner=principal.user_id, expires_in=expires_in)

    def principal_for_token(self, plain: str) -> Principal | None:
        """The token's principal; None if it is unknown, revoked or expired."""
        token = self.store.find_token(hash_token(plain))
        return None if token is None else self._token_principal(token)

    def use_token(self, plain: str, client: str | None) -> Principal | None:
        """`principal_for_token` for a request from `client`; its first use is audited.

        Every API request asks, so the answer is kept while nothing in the database changed
        (measured in docs/benchmarks.md: the lookup cost as much as a whole hello request)."""
        token_hash, now = hash_token(plain), self.clock.now()
        moment = self._change_token()
        if moment is not None and (hit := self._principals.get(token_hash)) is not None:
            seen_at, good_until, cached = hit
            if seen_at == moment and now < good_until:
                return cached
        token = self.store.find_token(token_hash)
        principal = None if token is None else self._token_principal(token)
        if token is not None and principal is not None:
            self.audit.record_once(audit.TOKEN_FIRST_USED, principal.actor, subject=token.id,
                                   state=token.state, client=client)
            if moment is not None:
                # Until the next touch is due (the touch is a commit, which ends the entry
                # anyway) or the token expires, whichever comes first.
                good_until = (token.last_used_at or now) + TOUCH_EVERY
                if token.expires_at is not None:
                    good_until = min(good_until, token.expires_at)
                if len(self._principals) >= MAX_CACHED_PRINCIPALS:
                    self._principals.clear()
                self._principals[token_hash] = (moment, good_until, principal)
        return principal

    def _token_principal(self, token: ApiToken) -> Principal | None:
        """None once the token has expired; its last use noted at most once a minute."""
        now = self.clock.now()
        if token.expired(now):
            return None
        role, state = token.role, token.state
        canary = token.token_hash in self._canaries
        if token.owner is not None:
            # A user's token acts as that user does now: disabled or removed, it stops.
            owner = self.store.get_user(token.owner)
            if owner is None or owner.disabled:
                return None
            role, state = owner.role, owner.state
            canary = canary or owner.email in self._canaries
        if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
            self.store.touch_token(token.token_hash, now)
        return Principal(f"token:{token.name}", role, state, user_id=token.owner, canary=canary)

    def list_tokens(self, principal: Principal) -> list[ApiToken]:
        return [t for t in self.store.list_tokens() if principal.may_manage_token(t)]

    def revoke_token(self, principal: Principal, token_id: str) -> ApiToken:
        """Delete the token: it stops working on its next request."""
        token = next((t for t in self.list_tokens(principal) if t.id == token_id), None)
        # Someone else's token answers as if it did not exist.
        if token is None or not self.store.delete_token(token_id):
            raise NotFound(f"There is no token {token_id} among yours.")
        self.audit.record(audit.TOKEN_REVOKED, principal.actor, state=token.state,
                          subject=token.id, name=token.name)
        return token

    def start_session(self, user_id: str) -> tuple[str, LoginSession]:
        """Return the session id for the cookie (never stored) and the stored session."""
        plain = secrets.token_urlsafe(32)
        now = self.clock.now()
        session = LoginSession(hash_token(plain), user_id, now, now, secrets.token_urlsafe(32))
        self.store.add_session(session)
        return plain, session

    def resume_session(self, plain: str) -> tuple[Principal, LoginSession] | None:
        """The user and session behind a cookie; None (and the row gone) once it has ended."""
        id_hash = hash_token(plain)
        session = self.store.find_session(id_hash)
        if session is None:
            return None
        now = self.clock.now()
        user = self.store.get_user(session.user_id)
        if (
            user is None
            or user.disabled
            or now - session.last_seen_at >= self.session_idle
            or now - session.created_at >= self.session_lifetime
        ):
            self.store.delete_session(id_hash)
            return None
        if now - session.last_seen_at >= TOUCH_EVERY:
            self.store.touch_session(id_hash, now)
        return replace(principal_of(user), canary=user.email in self._canaries), session

    def end_session(self, plain: str) -> None:
        self.store.delete_session(hash_token(plain))

    def end_sessions(self, user_id: str, *, by: Principal = SYSTEM,
                     reason: str = "sign out everywhere") -> int:
        """End every session of the user; returns how many ended (audited when any did)."""
        ended = self.store.delete_user_sessions(user_id)
        user = self.store.get_user(user_id) if ended else None
        if ended:
            self.audit.record(audit.SESSION_ENDED, by.actor, state=user.state if user else None,
                              subject=user.email if user else None, reason=reason,
                              sessions=ended)
        return ended

    def principal_for_user(self, user_id: str) -> Principal | None:
        """None for a user who is gone or disabled, whatever still names it (a session)."""
        user = self.store.get_user(user_id)
        if user is None or user.disabled:
            return None
        return replace(principal_of(user), canary=user.email in self._canaries)

    def record_login(self, kind: str, actor: str, email: str, client: str | None,
                     **detail: Any) -> None:
        """Audit a login or session event. The event names the account only if `email` is a
        user's: what a client typed there may be a password in the wrong field."""
        user = self.store.find_user(email.strip().lower())
        self.audit.record(kind, actor, state=user.state if user else None,
                          subject=user.email if user else None, client=client, **detail)

    def ensure_first_admin(self, email: str, password: str | None) -> str | None:
        """Create the first platform admin if there are no users; return a generated password
        to print once (None if a password was given or users already exist)."""
        if self.store.count_users():
            return None
        if password:
            self.add_user(email, password, "admin")
            return None
        generated = secrets.token_urlsafe(18)
        self.add_user(email, generated, "admin")
        return generated


def _role_state(role: str, state: str | None) -> str | None:
    state = normalize_code(state) if state else None
    check_role(role, state)
    return state


def principal_of(user: User) -> Principal:
    return Principal(f"user:{user.email}", user.role, user.state, user_id=user.id)
