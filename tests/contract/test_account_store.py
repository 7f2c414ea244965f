"""The AccountStore contract: every adapter passes the same tests."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from humangov.domain.auth import ApiToken, LoginSession, User
from humangov.domain.errors import Conflict

T0 = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def user(email: str, role="editor", state: str | None = "CA") -> User:
    return User(str(uuid.uuid4()), email, role, state, "$argon2id$v=19$fake", T0)


def token(token_hash: str, role="viewer", state: str | None = "TX", **more) -> ApiToken:
    return ApiToken(str(uuid.uuid4()), "ci", role, state, token_hash, T0, **more)


def session(id_hash: str, user_id: str) -> LoginSession:
    return LoginSession(id_hash, user_id, T0, T0, "csrf-" + id_hash[:8])


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


def test_a_token_keeps_its_owner_and_expiry_and_is_listed_oldest_first(account_store):
    later = token("b" * 64, owner="u-1", expires_at=T0 + timedelta(days=30))
    later = ApiToken(later.id, "later", later.role, later.state, later.token_hash,
                     T0 + timedelta(seconds=1), later.owner, later.expires_at)
    first = token("a" * 64)
    account_store.add_token(later)
    account_store.add_token(first)
    assert account_store.list_tokens() == [first, later]
    assert account_store.find_token("b" * 64) == later


def test_touching_a_token_records_its_last_use(account_store):
    account_store.add_token(token("h" * 64))
    account_store.touch_token("h" * 64, T0 + timedelta(minutes=5))
    assert account_store.find_token("h" * 64).last_used_at == T0 + timedelta(minutes=5)
    account_store.touch_token("x" * 64, T0)  # a token revoked meanwhile: nothing to do
    assert account_store.find_token("x" * 64) is None


def test_a_deleted_token_is_gone_and_its_hash_free(account_store):
    t, kept = token("h" * 64), token("k" * 64)
    account_store.add_token(t)
    account_store.add_token(kept)
    assert account_store.delete_token(t.id) is True
    assert account_store.find_token("h" * 64) is None
    assert account_store.list_tokens() == [kept]
    assert account_store.delete_token(t.id) is False
    account_store.add_token(token("h" * 64))
    assert account_store.find_token("h" * 64) is not None


def test_a_session_is_found_touched_and_deleted_by_its_hash(account_store):
    s = session("s" * 64, "u-1")
    account_store.add_session(s)
    assert account_store.find_session("s" * 64) == s
    assert account_store.find_session("x" * 64) is None
    account_store.touch_session("s" * 64, T0 + timedelta(minutes=2))
    assert account_store.find_session("s" * 64).last_seen_at == T0 + timedelta(minutes=2)
    account_store.delete_session("s" * 64)
    assert account_store.find_session("s" * 64) is None


def test_deleting_a_users_sessions_leaves_everyone_elses(account_store):
    for n, owner in enumerate(["u-1", "u-1", "u-2"]):
        account_store.add_session(session(str(n) * 64, owner))
    assert account_store.delete_user_sessions("u-1") == 2
    assert [account_store.find_session(str(n) * 64) is None for n in range(3)] == [
        True, True, False]
    assert account_store.delete_user_sessions("u-1") == 0


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
