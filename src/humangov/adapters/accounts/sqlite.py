"""The SQLite AccountStore. Emails are unique case-insensitively (a NOCASE column)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import sqlalchemy
from sqlalchemy import Executable, Row, delete, func, insert, select, update
from sqlalchemy import exc as sa_exc

from humangov.adapters.accounts.memory import duplicate_email, duplicate_token
from humangov.adapters.metadata import api_tokens, login_sessions, users
from humangov.adapters.sql import reading
from humangov.adapters.timecodec import (
    from_optional_text,
    from_text,
    to_optional_text,
    to_text,
)
from humangov.domain.auth import ApiToken, LoginSession, User
from humangov.domain.errors import StorageUnavailable

FIND_TOKEN = ("SELECT id, name, role, state, token_hash, created_at, owner, expires_at, "
              "last_used_at FROM api_tokens WHERE token_hash = ?")
GET_USER = ("SELECT id, email, role, state, password_hash, created_at, disabled FROM users "
            "WHERE id = ?")


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
        # On every request a user's token or session makes: driver SQL, as find_token.
        row = self._lean_one(GET_USER, user_id)
        if row is None:
            return None
        uid, email, role, state, password_hash, created_at, disabled = row
        return User(uid, email, role, state, password_hash, from_text(created_at), bool(disabled))

    def find_user(self, email: str) -> User | None:
        return self._one_user(select(users).where(users.c.email == email))

    def list_users(self) -> list[User]:
        rows = self._read(select(users).order_by(users.c.email, users.c.id))
        return [_user(r) for r in rows]

    def count_users(self) -> int:
        return self._read(select(func.count()).select_from(users))[0][0]

    def update_user(self, user: User) -> bool:
        return self._write(update(users).where(users.c.id == user.id).values(
            role=user.role, state=user.state, disabled=user.disabled)) > 0

    def remove_user(self, user_id: str) -> bool:
        return self._write(delete(users).where(users.c.id == user_id)) > 0

    def add_token(self, token: ApiToken) -> None:
        row = {"id": token.id, "name": token.name, "role": token.role, "state": token.state,
               "token_hash": token.token_hash, "created_at": to_text(token.created_at),
               "owner": token.owner, "expires_at": to_optional_text(token.expires_at),
               "last_used_at": to_optional_text(token.last_used_at)}
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(api_tokens), row)
        except sa_exc.IntegrityError as exc:
            raise duplicate_token() from exc
        except sa_exc.OperationalError as exc:
            raise _unavailable() from exc

    def find_token(self, token_hash: str) -> ApiToken | None:
        # Every API request looks its token up (no cache: revocation is immediate), so this
        # skips SQLAlchemy's statement machinery: 280 -> about 40 µs a lookup.
        row = self._lean_one(FIND_TOKEN, token_hash)
        if row is None:
            return None
        tid, name, role, state, hashed, created_at, owner, expires_at, last_used_at = row
        return ApiToken(tid, name, role, state, hashed, from_text(created_at), owner,
                        from_optional_text(expires_at), from_optional_text(last_used_at))

    def list_tokens(self) -> list[ApiToken]:
        rows = self._read(select(api_tokens).order_by(api_tokens.c.created_at, api_tokens.c.id))
        return [_token(r) for r in rows]

    def delete_token(self, token_id: str) -> bool:
        return self._write(delete(api_tokens).where(api_tokens.c.id == token_id)) > 0

    def touch_token(self, token_hash: str, at: datetime) -> None:
        self._write(update(api_tokens).where(api_tokens.c.token_hash == token_hash)
                    .values(last_used_at=to_text(at)))

    def add_session(self, session: LoginSession) -> None:
        self._write(insert(login_sessions).values(
            id_hash=session.id_hash, user_id=session.user_id, csrf=session.csrf,
            created_at=to_text(session.created_at), last_seen_at=to_text(session.last_seen_at)))

    def find_session(self, id_hash: str) -> LoginSession | None:
        rows = self._read(select(login_sessions).where(login_sessions.c.id_hash == id_hash))
        if not rows:
            return None
        r = rows[0]
        return LoginSession(r.id_hash, r.user_id, from_text(r.created_at),
                            from_text(r.last_seen_at), r.csrf)

    def touch_session(self, id_hash: str, at: datetime) -> None:
        self._write(update(login_sessions).where(login_sessions.c.id_hash == id_hash)
                    .values(last_seen_at=to_text(at)))

    def delete_session(self, id_hash: str) -> None:
        self._write(delete(login_sessions).where(login_sessions.c.id_hash == id_hash))

    def delete_user_sessions(self, user_id: str) -> int:
        return self._write(delete(login_sessions).where(login_sessions.c.user_id == user_id))

    def _one_user(self, statement: Executable) -> User | None:
        rows = self._read(statement)
        return _user(rows[0]) if rows else None

    def _write(self, statement: Executable) -> int:
        try:
            with self.engine.begin() as conn:
                return conn.execute(statement).rowcount
        except sa_exc.OperationalError as exc:
            raise _unavailable() from exc

    def _lean_one(self, sql: str, key: str) -> tuple | None:
        """One row by key through the pooled driver connection (autocommit: no lock)."""
        try:
            proxy = self.engine.raw_connection()
            try:
                connection = proxy.driver_connection
                assert connection is not None  # just checked out of the pool: open
                return connection.execute(sql, (key,)).fetchone()
            finally:
                proxy.close()
        except (sa_exc.SQLAlchemyError, sqlite3.Error) as exc:
            raise _unavailable() from exc

    def _read(self, statement: Executable) -> list[Row]:
        try:
            with reading(self.engine) as conn:
                return list(conn.execute(statement))
        except sa_exc.OperationalError as exc:
            raise _unavailable() from exc


def _user(r: Row) -> User:
    return User(r.id, r.email, r.role, r.state, r.password_hash, from_text(r.created_at),
                bool(r.disabled))


def _token(r: Row) -> ApiToken:
    return ApiToken(r.id, r.name, r.role, r.state, r.token_hash, from_text(r.created_at),
                    r.owner, from_optional_text(r.expires_at), from_optional_text(r.last_used_at))


def _unavailable() -> StorageUnavailable:
    return StorageUnavailable("The accounts database is unavailable or busy. Retry in a moment.")
