"""Accounts: argon2-hashed passwords for people, sha256-hashed bearer tokens for machines.

Tokens are 256 random bits, so a fast hash is enough to make a stolen table useless; passwords
are chosen by people, so they get argon2 (https://www.rfc-editor.org/rfc/rfc9106).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import replace

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from humangov.domain.auth import SYSTEM, ApiToken, Principal, User, check_role
from humangov.domain.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from humangov.domain.states import normalize_code
from humangov.ports import AccountStore, Clock

TOKEN_PREFIX = "hg_"
MIN_PASSWORD = 12
# Controls and spaces spelled out, since regex engines disagree on what \s covers (Python's
# takes in \x1c-\x1f, pydantic's does not): the API's schema uses this pattern too.
EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f-\x9f\ufeff]+@[^@\s\x00-\x1f\x7f-\x9f\ufeff]+$")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(self, store: AccountStore, clock: Clock):
        self.store = store
        self.clock = clock
        self.hasher = PasswordHasher()
        # A wrong email still costs one argon2 verify, so timing does not reveal who exists.
        self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        self.user_listeners: list[Callable[[User], None]] = []

    def add_user(
        self, email: str, password: str, role: str, state: str | None = None,
        *, by: Principal = SYSTEM,
    ) -> User:
        email = email.strip().lower()
        if not EMAIL.match(email):
            raise InvalidInput(f"{email!r} is not an email address.", field="email")
        if len(password) < MIN_PASSWORD:
            raise InvalidInput(
                f"The password must have at least {MIN_PASSWORD} characters.", field="password"
            )
        state = _role_state(role, state)
        by.require_manage_users(state)
        user = User(
            str(uuid.uuid4()), email, role, state, self.hasher.hash(password), self.clock.now()
        )
        self.store.add_user(user)
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
        return self._save(replace(user, role=role, state=state))

    def set_disabled(self, user_id: str, disabled: bool, *, by: Principal = SYSTEM) -> User:
        """A disabled user cannot log in, and its sessions and tokens stop working at once."""
        user = self.get_user(user_id, by)
        if disabled:
            self._keep_an_admin(user, "disable")
        return self._save(replace(user, disabled=disabled))

    def remove_user(self, user_id: str, *, by: Principal = SYSTEM) -> User:
        user = self.get_user(user_id, by)
        self._keep_an_admin(user, "remove")
        if not self.store.remove_user(user.id):
            raise NotFound(f"There is no user {user_id}.")
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
        self, role: str, state: str | None = None, name: str = "", owner: User | None = None
    ) -> tuple[str, ApiToken]:
        """Return the token (shown once) and its stored record (hash only). A token made for
        an `owner` acts as that user does at each request; its role and state are the
        owner's."""
        if owner is not None:
            role, state = owner.role, owner.state
        state = normalize_code(state) if state else None
        check_role(role, state)
        plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
        label = name or (f"{owner.email}" if owner else f"{role}-{state or 'all'}")
        token = ApiToken(str(uuid.uuid4()), label, role, state, hash_token(plain),
                         self.clock.now(), owner.id if owner else None)
        self.store.add_token(token)
        return plain, token

    def principal_for_token(self, plain: str) -> Principal | None:
        token = self.store.find_token(hash_token(plain))
        if token is None:
            return None
        if token.owner is None:
            return Principal(f"token:{token.name}", token.role, token.state)
        owner = self.store.get_user(token.owner)
        if owner is None or owner.disabled:
            return None
        return Principal(f"token:{token.name}", owner.role, owner.state)

    def principal_for_user(self, user_id: str) -> Principal | None:
        """None for a user who is gone or disabled, whatever still names it (a session)."""
        user = self.store.get_user(user_id)
        return None if user is None or user.disabled else principal_of(user)

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
    return Principal(f"user:{user.email}", user.role, user.state)


class LoginThrottle:
    """At most `limit` failed logins per minute per (client, email); then wait."""

    def __init__(self, limit: int, window: float = 60.0):
        self.limit, self.window = limit, window
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str, email: str) -> float:
        """Seconds to wait before another try; 0 if allowed now."""
        with self._lock:
            q = self._prune((client, email.strip().lower()))
            return 0.0 if len(q) < self.limit else max(0.0, q[0] + self.window - time.monotonic())

    def failed(self, client: str, email: str) -> None:
        with self._lock:
            self._prune((client, email.strip().lower())).append(time.monotonic())

    def succeeded(self, client: str, email: str) -> None:
        with self._lock:
            self._failures.pop((client, email.strip().lower()), None)

    def _prune(self, key: tuple[str, str]) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        cutoff = time.monotonic() - self.window
        while q and q[0] < cutoff:
            q.popleft()
        return q
