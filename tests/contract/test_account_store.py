"""The AccountStore contract: every adapter passes the same tests."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from humangov.domain.auth import ApiToken, User
from humangov.domain.errors import Conflict

T0 = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def user(email: str, role="editor", state: str | None = "CA") -> User:
    return User(str(uuid.uuid4()), email, role, state, "$argon2id$v=19$fake", T0)


def token(token_hash: str, role="viewer", state: str | None = "TX") -> ApiToken:
    return ApiToken(str(uuid.uuid4()), "ci", role, state, token_hash, T0)


def test_a_user_reads_back_by_id_and_by_email_in_any_case(account_store):
    u = user("Ada@Example.gov")
    account_store.add_user(u)
    assert account_store.get_user(u.id) == u
    assert account_store.find_user("ada@example.GOV") == u
    assert account_store.find_user("nobody@example.gov") is None
    assert account_store.get_user(str(uuid.uuid4())) is None


def test_an_email_is_unique_whatever_its_case(account_store):
    account_store.add_user(user("ada@example.gov"))
    with pytest.raises(Conflict) as caught:
        account_store.add_user(user("ADA@example.gov", role="viewer"))
    assert caught.value.field == "email"
    assert account_store.count_users() == 1


def test_users_are_listed_and_counted(account_store):
    admin = user("root@example.gov", role="admin", state=None)
    editor = user("ed@example.gov")
    account_store.add_user(admin)
    account_store.add_user(editor)
    assert account_store.count_users() == 2
    assert account_store.list_users() == [editor, admin]


def test_a_token_is_found_by_its_hash_only(account_store):
    t = token("h" * 64)
    account_store.add_token(t)
    assert account_store.find_token("h" * 64) == t
    assert account_store.find_token("x" * 64) is None


def test_a_token_hash_is_unique(account_store):
    account_store.add_token(token("h" * 64))
    with pytest.raises(Conflict):
        account_store.add_token(token("h" * 64, role="admin", state=None))
    assert account_store.find_token("h" * 64).role == "viewer"


def test_a_user_is_updated_in_role_state_and_disabled(account_store):
    u = user("ed@example.gov")
    account_store.add_user(u)
    for changed in (replace(u, role="state-admin", state="TX"),
                    replace(u, role="admin", state=None, disabled=True),
                    replace(u, role="viewer", state="CA", disabled=False)):
        assert account_store.update_user(changed) is True
        assert account_store.get_user(u.id) == changed
        assert account_store.find_user("ed@example.gov") == changed
    assert account_store.update_user(user("ghost@example.gov")) is False


def test_a_removed_user_is_gone_and_its_email_free_again(account_store):
    u = user("ed@example.gov")
    account_store.add_user(u)
    assert account_store.remove_user(u.id) is True
    assert account_store.remove_user(u.id) is False
    assert account_store.get_user(u.id) is None and account_store.find_user(u.email) is None
    assert account_store.count_users() == 0
    again = user("ed@example.gov", role="viewer")
    account_store.add_user(again)
    assert account_store.find_user("ed@example.gov") == again


def test_a_token_keeps_its_owner(account_store):
    t = replace(token("o" * 64), owner="user-1")
    account_store.add_token(t)
    assert account_store.find_token("o" * 64) == t
