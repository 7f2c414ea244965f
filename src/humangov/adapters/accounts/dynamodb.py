"""The DynamoDB AccountStore, in the platform table.

Uniqueness (email in any case, token hash, token id) is held by guard items written in the
same transaction as the item they guard, the documented DynamoDB pattern for unique
attributes: https://aws.amazon.com/blogs/database/simulating-amazon-dynamodb-unique-constraints-using-transactions/
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from humangov.adapters.accounts.memory import duplicate_email, duplicate_token
from humangov.adapters.dynamo_items import code, from_item, query_all, to_item, translating
from humangov.adapters.timecodec import (
    from_optional_text,
    from_text,
    to_optional_text,
    to_text,
)
from humangov.domain.auth import ApiToken, LoginSession, User

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from humangov.adapters.aws.clients import AwsClients

NEW = "attribute_not_exists(pk)"


class DynamoDBAccountStore:
    def __init__(self, clients: AwsClients, table: str) -> None:
        self.clients = clients
        self.table = table

    @property
    def _ddb(self) -> DynamoDBClient:
        return self.clients.dynamodb

    def add_user(self, user: User) -> None:
        item = to_item({"pk": "USER", "sk": user.id, "email": user.email, "role": user.role,
                        "state": user.state, "password_hash": user.password_hash,
                        "created_at": to_text(user.created_at), "disabled": user.disabled})
        guard = to_item({"pk": "EMAIL", "sk": user.email.lower(), "user_id": user.id})
        self._put_unique([item, guard], lambda: duplicate_email(user.email))

    def get_user(self, user_id: str) -> User | None:
        item = self._get("USER", user_id)
        return _user(item) if item else None

    def find_user(self, email: str) -> User | None:
        guard = self._get("EMAIL", email.lower())
        return self.get_user(guard["user_id"]) if guard else None

    def list_users(self) -> list[User]:
        users = [_user(from_item(i)) for i in self._query("USER")]
        return sorted(users, key=lambda u: (u.email.lower(), u.id))

    def count_users(self) -> int:
        with translating("The accounts store"):
            pages = self._ddb.get_paginator("query").paginate(
                TableName=self.table, Select="COUNT", KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": "USER"}}, ConsistentRead=True)
            return sum(p["Count"] for p in pages)

    def update_user(self, user: User) -> bool:
        values = to_item({":r": user.role, ":s": user.state, ":d": user.disabled})
        # A platform admin has no state: the attribute goes rather than holding a null.
        state = "SET #s = :s," if user.state else "REMOVE #s SET"
        with translating("The accounts store"):
            try:
                self._ddb.update_item(
                    TableName=self.table, Key={"pk": {"S": "USER"}, "sk": {"S": user.id}},
                    UpdateExpression=f"{state} #r = :r, disabled = :d",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeNames={"#r": "role", "#s": "state"},
                    ExpressionAttributeValues=values)
            except ClientError as exc:
                if code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def remove_user(self, user_id: str) -> bool:
        user = self.get_user(user_id)
        if user is None:
            return False
        # The user and its email guard go together, so the email can be used again.
        with translating("The accounts store"):
            self._ddb.transact_write_items(TransactItems=[
                {"Delete": {"TableName": self.table, "Key": {"pk": {"S": pk}, "sk": {"S": sk}}}}
                for pk, sk in (("USER", user.id), ("EMAIL", user.email.lower()))])
        return True

    def add_token(self, token: ApiToken) -> None:
        item = to_item({"pk": "TOKEN", "sk": token.token_hash, "id": token.id, "name": token.name,
                        "role": token.role, "state": token.state,
                        "created_at": to_text(token.created_at), "owner": token.owner,
                        "expires_at": to_optional_text(token.expires_at),
                        "last_used_at": to_optional_text(token.last_used_at)})
        guard = to_item({"pk": "TOKENID", "sk": token.id, "token_hash": token.token_hash})
        self._put_unique([item, guard], duplicate_token)

    def find_token(self, token_hash: str) -> ApiToken | None:
        v = self._get("TOKEN", token_hash)
        return _token(v) if v else None

    def list_tokens(self) -> list[ApiToken]:
        tokens = [_token(from_item(i)) for i in self._query("TOKEN")]
        return sorted(tokens, key=lambda t: (t.created_at, t.id))

    def delete_token(self, token_id: str) -> bool:
        guard = self._get("TOKENID", token_id)
        if guard is None:
            return False
        # Guards written before tokens could be revoked do not name their token.
        token_hash = guard.get("token_hash") or next(
            (t.token_hash for t in self.list_tokens() if t.id == token_id), None)
        keys = [("TOKENID", token_id)] + ([("TOKEN", token_hash)] if token_hash else [])
        with translating("The accounts store"):
            self._ddb.transact_write_items(TransactItems=[
                {"Delete": {"TableName": self.table, "Key": _key(pk, sk)}} for pk, sk in keys])
        return True

    def touch_token(self, token_hash: str, at: datetime) -> None:
        self._set("TOKEN", token_hash, "last_used_at", at)

    def add_session(self, session: LoginSession) -> None:
        item = to_item({"pk": "SESSION", "sk": session.id_hash, "user_id": session.user_id,
                        "created_at": to_text(session.created_at),
                        "last_seen_at": to_text(session.last_seen_at), "csrf": session.csrf})
        self._put_unique([item], duplicate_token)

    def find_session(self, id_hash: str) -> LoginSession | None:
        v = self._get("SESSION", id_hash)
        return _session(v) if v else None

    def touch_session(self, id_hash: str, at: datetime) -> None:
        self._set("SESSION", id_hash, "last_seen_at", at)

    def delete_session(self, id_hash: str) -> None:
        with translating("The accounts store"):
            self._ddb.delete_item(TableName=self.table, Key=_key("SESSION", id_hash))

    def delete_user_sessions(self, user_id: str) -> int:
        # Sessions are few (one per browser that logged in lately), so one partition read.
        ended = [s for s in (_session(from_item(i)) for i in self._query("SESSION"))
                 if s.user_id == user_id]
        for s in ended:
            self.delete_session(s.id_hash)
        return len(ended)

    def _set(self, pk: str, sk: str, name: str, at: datetime) -> None:
        """Set one time attribute of an item that exists (and only if it still does)."""
        with translating("The accounts store"):
            try:
                self._ddb.update_item(
                    TableName=self.table, Key=_key(pk, sk), UpdateExpression="SET #n = :v",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeNames={"#n": name},
                    ExpressionAttributeValues={":v": {"S": to_text(at)}})
            except ClientError as exc:
                if code(exc) != "ConditionalCheckFailedException":
                    raise

    def _put_unique(self, items: list[dict], conflict: Callable[[], Exception]) -> None:
        with translating("The accounts store"):
            try:
                self._ddb.transact_write_items(TransactItems=[
                    {"Put": {"TableName": self.table, "Item": i, "ConditionExpression": NEW}}
                    for i in items])
            except ClientError as exc:
                if code(exc) == "TransactionCanceledException":
                    raise conflict() from exc
                raise

    def _get(self, pk: str, sk: str) -> dict | None:
        with translating("The accounts store"):
            got = self._ddb.get_item(TableName=self.table, ConsistentRead=True,
                                     Key=_key(pk, sk))
        return from_item(got["Item"]) if "Item" in got else None

    def _query(self, pk: str) -> list[dict[str, Any]]:
        with translating("The accounts store"):
            return list(query_all(self._ddb, TableName=self.table, ConsistentRead=True,
                                  KeyConditionExpression="pk = :p",
                                  ExpressionAttributeValues={":p": {"S": pk}}))


def _user(v: dict) -> User:
    return User(v["sk"], v["email"], v["role"], v.get("state"), v["password_hash"],
                from_text(v["created_at"]), bool(v.get("disabled", False)))


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _token(v: dict) -> ApiToken:
    return ApiToken(v["id"], v["name"], v["role"], v.get("state"), v["sk"],
                    from_text(v["created_at"]), v.get("owner"),
                    from_optional_text(v.get("expires_at")),
                    from_optional_text(v.get("last_used_at")))


def _session(v: dict) -> LoginSession:
    return LoginSession(v["sk"], v["user_id"], from_text(v["created_at"]),
                        from_text(v["last_seen_at"]), v["csrf"])
