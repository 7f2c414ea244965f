"""`humangov audit`: users and tokens the CLI created, as JSON Lines or a table, filtered."""

from __future__ import annotations

import orjson

from humangov.domain import audit
from tests.audit_rows import assert_no_secret
from tests.cli.test_cli import humangov

PASSWORD = "a long enough password"


def test_the_cli_lists_what_it_did_as_json_lines_and_keeps_no_secret(tmp_path):
    env = {"HUMANGOV_NEW_PASSWORD": PASSWORD, "USER": "ops"}
    assert humangov("users", "add", "ed@example.gov", "--role", "editor", "--state", "ca",
                    "--data-dir", tmp_path, env=env).exit_code == 0
    token = humangov("tokens", "create", "--role", "admin", "--name", "ci",
                     "--data-dir", tmp_path, env=env).stdout.strip()
    result = humangov("audit", "--format", "json", "--data-dir", tmp_path)
    assert result.exit_code == 0, result.output
    created, added = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert (created["kind"], created["actor"], created["state"], created["detail"]) == (
        audit.TOKEN_CREATED, "cli:ops", None, {"name": "ci", "role": "admin"})
    assert (added["kind"], added["actor"], added["state"], added["subject"]) == (
        audit.USER_ADDED, "cli:ops", "CA", "ed@example.gov")
    assert added["at"] <= created["at"]
    assert token not in result.stdout
    assert_no_secret(tmp_path / "humangov.db", PASSWORD, token)


def test_the_cli_filters_by_state_kind_and_time_and_prints_a_table(tmp_path):
    env = {"HUMANGOV_NEW_PASSWORD": PASSWORD}
    for email, state in (("ca@example.gov", "CA"), ("tx@example.gov", "TX")):
        humangov("users", "add", email, "--role", "viewer", "--state", state,
                 "--data-dir", tmp_path, env=env)
    humangov("tokens", "create", "--role", "admin", "--data-dir", tmp_path)

    def subjects(*args: str) -> list[str | None]:
        out = humangov("audit", "--format", "json", *args, "--data-dir", tmp_path).stdout
        return [orjson.loads(line)["subject"] for line in out.splitlines()]

    assert subjects("--state", "TX") == ["tx@example.gov"]
    assert subjects("--kind", audit.USER_ADDED) == ["tx@example.gov", "ca@example.gov"]
    assert len(subjects("--since", "1h")) == 3 and len(subjects("--limit", "2")) == 2
    table = humangov("audit", "--state", "CA", "--data-dir", tmp_path).stdout
    assert "kind" in table.splitlines()[1] and "user.added" in table and "token" not in table


def test_an_unknown_kind_or_state_is_a_clear_error(tmp_path):
    result = humangov("audit", "--kind", "login.maybe", "--data-dir", tmp_path)
    assert result.exit_code == 1 and "kind must be one of" in result.output
    result = humangov("audit", "--state", "ZZ", "--data-dir", tmp_path)
    assert result.exit_code == 1 and "no US state" in result.output
