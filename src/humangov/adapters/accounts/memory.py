"""An in-memory AccountStore."""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime

from humangov.domain.auth import ApiToken, LoginSession, User
from humangov.domain.errors import Conflict


def duplicate_email(email: str) -> Conflict:
    return Conflict(f"A user with the email {email} already exists.", field="email")


def duplicate_token() -> Conflict:
    return Conflict("This token is already registered; create a new one.")


class MemoryAccountStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users: dict[str, User] = {}
        self._tokens: dict[str, ApiToken] = {}
        self._sessions: dict[str, LoginSession] = {}

    def add_user(self, user: User) -> None:
        with self._lock:
            if user.id in self._users or self._by_email(user.email) is not None:
                raise duplicate_email(user.email)
            self._users[user.id] = user

    def get_user(self, user_id: str) -> User | None:
        with self._lock:
            return self._users.get(user_id)

    def find_user(self, email: str) -> User | None:
        with self._lock:
            return self._by_email(email)

    def list_users(self) -> list[User]:
        with self._lock:
            return sorted(self._users.values(), key=lambda u: (u.email.lower(), u.id))

    def count_users(self) -> int:
        with self._lock:
            return len(self._users)

    def update_user(self, user: User) -> bool:
        with self._lock:
            if user.id not in self._users:
                return False
            self._users[user.id] = user
            return True

    def remove_user(self, user_id: str) -> bool:
        with self._lock:
            return self._users.pop(user_id, None) is not None

    def add_token(self, token: ApiToken) -> None:
        with self._lock:
            if token.token_hash in self._tokens or any(
                t.id == token.id for t in self._tokens.values()
            ):
                raise duplicate_token()
            self._tokens[token.token_hash] = token

    def find_token(self, token_hash: str) -> ApiToken | None:
        with self._lock:
            return self._tokens.get(token_hash)

    def list_tokens(self) -> list[ApiToken]:
        with self._lock:
            return sorted(self._tokens.values(), key=lambda t: (t.created_at, t.id))

    def delete_token(self, token_id: str) -> bool:
        with self._lock:
            found = next((h for h, t in self._tokens.items() if t.id == token_id), None)
            return found is not None and self._tokens.pop(found) is not None

    def touch_token(self, token_hash: str, at: datetime) -> None:
        with self._lock:
            if (t := self._tokens.get(token_hash)) is not None:
                self._tokens[token_hash] = dataclasses.replace(t, last_used_at=at)

    def add_session(self, session: LoginSession) -> None:
        with self._lock:
            self._sessions[session.id_hash] = session

    def find_session(self, id_hash: str) -> LoginSession | None:
        with self._lock:
            return self._sessions.get(id_hash)

    def touch_session(self, id_hash: str, at: datetime) -> None:
        with self._lock:
            if (s := self._sessions.get(id_hash)) is not None:
                self._sessions[id_hash] = dataclasses.replace(s, last_seen_at=at)

    def delete_session(self, id_hash: str) -> None:
        with self._lock:
            self._sessions.pop(id_hash, None)

    def delete_user_sessions(self, user_id: str) -> int:
        with self._lock:
            ended = [h for h, s in self._sessions.items() if s.user_id == user_id]
            for h in ended:
                del self._sessions[h]
            return len(ended)

    def _by_email(self, email: str) -> User | None:
        wanted = email.lower()
        return next((u for u in self._users.values() if u.email.lower() == wanted), None)
