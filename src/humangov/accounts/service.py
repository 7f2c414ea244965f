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
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from humangov.audit.service import Audit
from humangov.domain import audit
from humangov.domain.auth import SYSTEM, ApiToken, Principal, User, check_role
from humangov.domain.errors import InvalidInput, Unauthenticated
from humangov.domain.states import normalize_code
from humangov.ports import AccountStore, Clock

TOKEN_PREFIX = "hg_"
MIN_PASSWORD = 12
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(self, store: AccountStore, clock: Clock, audit: Audit):
        self.store = store
        self.clock = clock
        self.audit = audit
        self.hasher = PasswordHasher()
        # A wrong email still costs one argon2 verify, so timing does not reveal who exists.
        self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))

    def add_user(self, email: str, password: str, role: str, state: str | None = None, *,
                 actor: str = SYSTEM.actor, client: str | None = None) -> User:
        email = email.strip().lower()
        if not EMAIL.match(email):
            raise InvalidInput(f"{email!r} is not an email address.", field="email")
        if len(password) < MIN_PASSWORD:
            raise InvalidInput(
                f"The password must have at least {MIN_PASSWORD} characters.", field="password"
            )
        state = normalize_code(state) if state else None
        check_role(role, state)
        user = User(
            str(uuid.uuid4()), email, role, state, self.hasher.hash(password), self.clock.now()
        )
        self.store.add_user(user)
        self.audit.record(audit.USER_ADDED, actor, state=state, subject=email, client=client,
                          role=role)
        return user

    def list_users(self) -> list[User]:
        return self.store.list_users()

    def authenticate(self, email: str, password: str) -> User:
        user = self.store.find_user(email.strip().lower())
        try:
            self.hasher.verify(user.password_hash if user else self._dummy_hash, password)
        except (VerificationError, InvalidHashError):
            user = None
        if user is None:
            raise Unauthenticated("The email or password is not right.")
        return user

    def create_token(
        self, role: str, state: str | None = None, name: str = "", *,
        actor: str = SYSTEM.actor, client: str | None = None,
    ) -> tuple[str, ApiToken]:
        """Return the token (shown once) and its stored record (hash only)."""
        state = normalize_code(state) if state else None
        check_role(role, state)
        plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(str(uuid.uuid4()), name or f"{role}-{state or 'all'}", role, state,
                         hash_token(plain), self.clock.now())
        self.store.add_token(token)
        self.audit.record(audit.TOKEN_CREATED, actor, state=state, subject=token.id,
                          client=client, name=token.name, role=role)
        return plain, token

    def principal_for_token(self, plain: str) -> Principal | None:
        token = self.store.find_token(hash_token(plain))
        return None if token is None else principal_of_token(token)

    def use_token(self, plain: str, client: str | None) -> Principal | None:
        """The token's principal for a request from `client`; its first use is audited."""
        token = self.store.find_token(hash_token(plain))
        if token is None:
            return None
        principal = principal_of_token(token)
        self.audit.record_once(audit.TOKEN_FIRST_USED, principal.actor, subject=token.id,
                               state=token.state, client=client)
        return principal

    def principal_for_user(self, user_id: str) -> Principal | None:
        user = self.store.get_user(user_id)
        return None if user is None else principal_of(user)

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


def principal_of(user: User) -> Principal:
    return Principal(f"user:{user.email}", user.role, user.state)


def principal_of_token(token: ApiToken) -> Principal:
    return Principal(f"token:{token.name}", token.role, token.state)


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
