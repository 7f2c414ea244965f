"""Accounts: argon2-hashed passwords for people, sha256-hashed bearer tokens for machines.

Tokens are 256 random bits, so a fast hash is enough to make a stolen table useless; passwords
are chosen by people, so they get argon2 (https://www.rfc-editor.org/rfc/rfc9106).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import replace

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from humangov.domain.auth import ApiToken, Principal, User, check_role
from humangov.domain.errors import InvalidInput, Unauthenticated
from humangov.domain.states import normalize_code
from humangov.ports import AccountStore, Clock

TOKEN_PREFIX = "hg_"
MIN_PASSWORD = 12
# RFC 5321's longest usable address; longer input is refused before any lookup.
MAX_EMAIL = 254
MAX_TOKEN = 200  # ours are 46 characters; longer is refused before any lookup or cache
MAX_PASSWORD = 1024  # argon2 hashes any length; bound the work a stranger can ask for
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(self, store: AccountStore, clock: Clock):
        self.store = store
        self.clock = clock
        self.hasher = PasswordHasher()
        # A wrong email still costs one argon2 verify, so timing does not reveal who exists.
        self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        self._canaries: set[str] = set()  # token hashes and emails of the canary identity

    def mark_canary(self, *, token: str | None = None, email: str | None = None) -> None:
        """Make this token or user the canary: only its records are synthetic."""
        if token:
            self._canaries.add(hash_token(token))
        if email:
            self._canaries.add(email.strip().lower())

    def add_user(self, email: str, password: str, role: str, state: str | None = None) -> User:
        email = email.strip().lower()
        if len(email) > MAX_EMAIL or not EMAIL.match(email):
            raise InvalidInput(f"{email!r} is not an email address.", field="email")
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise InvalidInput(
                f"The password must have {MIN_PASSWORD} to {MAX_PASSWORD} characters.",
                field="password",
            )
        state = normalize_code(state) if state else None
        check_role(role, state)
        user = User(
            str(uuid.uuid4()), email, role, state, self.hasher.hash(password), self.clock.now()
        )
        self.store.add_user(user)
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
        self, role: str, state: str | None = None, name: str = ""
    ) -> tuple[str, ApiToken]:
        """Return the token (shown once) and its stored record (hash only)."""
        state = normalize_code(state) if state else None
        check_role(role, state)
        plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(str(uuid.uuid4()), name or f"{role}-{state or 'all'}", role, state,
                         hash_token(plain), self.clock.now())
        self.store.add_token(token)
        return plain, token

    def principal_for_token(self, plain: str) -> Principal | None:
        token = self.store.find_token(hash_token(plain))
        if token is None:
            return None
        return Principal(f"token:{token.name}", token.role, token.state,
                         canary=token.token_hash in self._canaries)

    def principal_for_user(self, user_id: str) -> Principal | None:
        user = self.store.get_user(user_id)
        if user is None:
            return None
        return replace(principal_of(user), canary=user.email in self._canaries)

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
