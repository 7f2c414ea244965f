"""The SQLite AccountStore. Emails are unique case-insensitively (a NOCASE column)."""

from __future__ import annotations

import sqlalchemy
from sqlalchemy import Executable, Row, delete, func, insert, select, update
from sqlalchemy import exc as sa_exc

from humangov.adapters.accounts.memory import duplicate_email, duplicate_token
from humangov.adapters.metadata import api_tokens, users
from humangov.adapters.sql import reading
from humangov.adapters.timecodec import from_text, to_text
from humangov.domain.auth import ApiToken, User
from humangov.domain.errors import StorageUnavailable


class SqliteAccountStore:
    def __init__(self, engine: sqlalchemy.Engine):
        self.engine = engine

    def add_user(self, user: User) -> None:
        row = {"id": user.id, "email": user.email, "role": user.role, "state": user.state,
               "password_hash": user.password_hash, "created_at": to_text(user.created_at),
               "disabled": user.disabled}
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(users), row)
        except sa_exc.IntegrityError as exc:
            raise duplicate_email(user.email) from exc
        except sa_exc.OperationalError as exc:
            raise _unavailable() from exc

    def get_user(self, user_id: str) -> User | None:
        return self._one_user(select(users).where(users.c.id == user_id))

    def find_user(self, email: str) -> User | None:
        return self._one_user(select(users).where(users.c.email == email))

    def list_users(self) -> list[User]:
        rows = self._read(select(users).order_by(users.c.email, users.c.id))
        return [_user(r) for r in rows]

    def count_users(self) -> int:
        return self._read(select(func.count()).select_from(users))[0][0]

    def update_user(self, user: User) -> bool:
        return self._write(update(users).where(users.c.id == user.id).values(
            role=user.role, state=user.state, disabled=user.disabled))

    def remove_user(self, user_id: str) -> bool:
        return self._write(delete(users).where(users.c.id == user_id))

    def add_token(self, token: ApiToken) -> None:
        row = {"id": token.id, "name": token.name, "role": token.role, "state": token.state,
               "token_hash": token.token_hash, "created_at": to_text(token.created_at),
               "owner": token.owner}
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(api_tokens), row)
        except sa_exc.IntegrityError as exc:
            raise duplicate_token() from exc
        except sa_exc.OperationalError as exc:
            raise _unavailable() from exc

    def find_token(self, token_hash: str) -> ApiToken | None:
        rows = self._read(select(api_tokens).where(api_tokens.c.token_hash == token_hash))
        if not rows:
            return None
        r = rows[0]
        return ApiToken(r.id, r.name, r.role, r.state, r.token_hash, from_text(r.created_at),
                        r.owner)

    def _write(self, statement: Executable) -> bool:
        """Run one UPDATE or DELETE; True if it touched a row."""
        try:
            with self.engine.begin() as conn:
                return conn.execute(statement).rowcount > 0
        except sa_exc.OperationalError as exc:
            raise _unavailable() from exc

    def _one_user(self, statement: Executable) -> User | None:
        rows = self._read(statement)
        return _user(rows[0]) if rows else None

    def _read(self, statement: Executable) -> list[Row]:
        try:
            with reading(self.engine) as conn:
                return list(conn.execute(statement))
        except sa_exc.OperationalError as exc:
            raise _unavailable() from exc


def _user(r: Row) -> User:
    return User(r.id, r.email, r.role, r.state, r.password_hash, from_text(r.created_at),
                bool(r.disabled))


def _unavailable() -> StorageUnavailable:
    return StorageUnavailable("The accounts database is unavailable or busy. Retry in a moment.")
