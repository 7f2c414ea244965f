"""The `humangov` command line: one option for the data directory, one error format and one
exit code per kind of failure, the same for every command, and no traceback in any of them."""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
import typer
from typer.testing import CliRunner

from humangov.cli import app
from tests.monitoring.servers import refused_url

NOT_PROVISIONED = "error: The state NV is not provisioned in this HumanGov.\n"
EMPLOYEE = "0b5e8a8e-4a52-4d8e-9a4b-1a2b3c4d5e6f"


def humangov(*args, env: dict | None = None, input: str | None = None):
    # A wide terminal keeps typer's usage panel on one line per message.
    return CliRunner().invoke(app, [str(a) for a in args], input=input, prog_name="humangov",
                              env={"COLUMNS": "200", "HUMANGOV_DATA_DIR": None, **(env or {})})


def leaf_commands() -> dict[str, typer.main.TyperCommand]:
    found = {}

    def walk(prefix: str, command) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            walk(f"{prefix} {name}".strip(), sub)
        if not getattr(command, "commands", None):
            found[prefix] = command

    walk("", typer.main.get_command(app))
    return found


# What each command needs besides its options to get as far as reading the settings.
ARGUMENTS = {
    "serve": [], "worker": [], "monitor": ["--config", "{checks}"], "stream-worker": [],
    "states list": [], "states add": ["CA"], "states remove": ["CA"],
    "users add": ["ada@example.org", "--role", "admin"], "users list": [],
    "users set-role": ["ada@example.org", "--role", "viewer", "--state", "CA"],
    "users disable": ["ada@example.org"], "users enable": ["ada@example.org"],
    "users remove": ["ada@example.org", "--yes"],
    "tokens create": ["--role", "admin"], "tokens list": [], "tokens revoke": ["x"],
    "audit": [],
    "employees import": ["{staff}", "--state", "CA"], "employees export": ["--state", "CA"],
    "employees delete": [EMPLOYEE, "--state", "CA"], "employees reindex": ["--state", "CA"],
    "employees separate": [EMPLOYEE, "--state", "CA", "--on", "2026-01-31", "--reason", "left"],
    "retention show": [], "retention set": ["--state", "CA", "--document-years", "3",
                                            "--record-years", "7"],
    "retention run": ["--dry-run"], "retention daily": [],
    "orphans scan": ["--state", "CA"], "orphans purge": ["--state", "CA"],
    "orphans daily": [],
    "erasure dead-letters": [], "erasure retry": ["--all"], "compliance report": ["--state", "CA"],
    "erasure import-queue": ["--queue-url", "https://sqs.us-east-1.amazonaws.com/1/q"],
    "legacy attach": ["--state", "CA", "--legacy-table", "t", "--legacy-bucket", "b"],
    "legacy list": [], "legacy detach": ["--state", "CA"],
    "adopt": ["--state", "CA", "--legacy-table", "t", "--legacy-bucket", "b"],
    "requests list": ["--state", "CA"], "requests show": ["x", "--state", "CA"],
    "requests file": ["--state", "CA", "--subject", "Ada", "--basis", "CCPA", "--due",
                      "2026-03-31"],
    "requests check": [],
    "holds list": ["--state", "CA"], "holds add": ["--state", "CA", "--matter", "m"],
    "holds release": ["x", "--state", "CA"],
}


def staff_csv(folder: Path) -> Path:
    staff = folder / "staff.csv"
    staff.write_text("first_name,last_name,role,salary\nAda,Lovelace,Analyst,85000\n")
    return staff


def test_every_command_takes_the_data_dir_option():
    commands = leaf_commands()
    assert set(commands) == set(ARGUMENTS), "a new command needs its entry in ARGUMENTS"
    lacking = [name for name, command in commands.items()
               if not any("--data-dir" in p.opts for p in command.params)]
    assert lacking == []


def test_the_data_dir_is_the_option_else_the_environment_else_dot_var(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    in_a = {"HUMANGOV_DATA_DIR": str(a)}
    assert humangov("states", "add", "NV", "--data-dir", a).exit_code == 0
    assert "Nevada" in humangov("states", "list", "--data-dir", a).stdout
    assert "Nevada" in humangov("states", "list", env=in_a).stdout
    assert "Nevada" not in humangov("states", "list", "--data-dir", b, env=in_a).stdout
    monkeypatch.chdir(tmp_path)
    assert humangov("states", "add", "NV").exit_code == 0
    assert (tmp_path / "var" / "humangov.db").exists()


@pytest.mark.parametrize("command", sorted(ARGUMENTS))
def test_invalid_settings_stop_every_command_with_exit_2_naming_the_variable(command, tmp_path):
    files = {"{staff}": str(staff_csv(tmp_path)), "{checks}": str(tmp_path / "checks.yaml")}
    args = [files.get(a, a) for a in ARGUMENTS[command]]
    result = humangov(*command.split(), *args, "--data-dir", tmp_path / "var",
                      env={"HUMANGOV_PORT": "eighty", "HUMANGOV_ADMIN_PASSWORD": "changeme",
                           "HUMANGOV_NEW_PASSWORD": "a long enough password"})
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        ("error: HUMANGOV_PORT: Input should be a valid integer, "
         "unable to parse string as an integer"),
        ("error: HUMANGOV_ADMIN_PASSWORD: Value error, "
         "admin_password is a placeholder; choose a real secret"),
    ]
    assert result.stdout == ""
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize("args, message", [
    (["employees", "export", "--state", "NV"], NOT_PROVISIONED),
    (["employees", "delete", EMPLOYEE, "--state", "NV"], NOT_PROVISIONED),
    (["employees", "reindex", "--state", "NV"], NOT_PROVISIONED),
    (["orphans", "scan", "--state", "NV"], NOT_PROVISIONED),
    (["compliance", "report", "--state", "NV"], NOT_PROVISIONED),
    (["states", "remove", "ZZ", "--yes"],
     "error: There is no US state with the code 'ZZ'. Use a USPS code such as CA.\n"),
    (["erasure", "retry", "7"],
     "error: There is no dead letter 7; list them with `humangov erasure dead-letters`.\n"),
    (["tokens", "create", "--role", "editor"], None),
])
def test_our_errors_exit_1_with_one_error_line(args, message, tmp_path):
    result = humangov(*args, "--data-dir", tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    if message:
        assert result.stderr == message
    assert result.stdout == "" and "Traceback" not in result.output


@pytest.mark.parametrize("args, message", [
    (["orphans", "scan", "--state", "CA", "--grace", "soon"],
     "Invalid value for '--grace': must be a duration such as 90s, 30m, 24h or 7d; got 'soon'."),
    (["orphans", "purge", "--state", "CA", "--format", "xml"], "Invalid value for '--format'"),
    (["erasure", "dead-letters", "--format", "csv"], "Invalid value for '--format'"),
    (["compliance", "report", "--state", "CA", "--since", "someday"],
     "Invalid value for '--since': must be a date such as 2026-01-01; got 'someday'."),
    (["orphans", "scan"], "Invalid value for --state / --all: give either --state CA or --all."),
    (["erasure", "retry", "3", "--all"],
     "Invalid value for ID / --all: give either a dead letter ID or --all."),
    (["stream-worker", "--poll", "0"], "Invalid value for '--poll'"),
    (["states", "remove"], "Missing argument 'CODE'."),
])
def test_invalid_option_values_are_usage_errors_with_exit_2(args, message, tmp_path):
    result = humangov(*args, "--data-dir", tmp_path / "var")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Usage: humangov {args[0]}")
    assert message in result.stderr
    assert result.stdout == "" and "Traceback" not in result.output
    assert not (tmp_path / "var").exists(), "refused before anything was opened"


def test_a_data_dir_that_cannot_be_made_is_one_error_line_with_exit_1(tmp_path):
    (tmp_path / "file").write_text("")
    result = humangov("states", "list", "--data-dir", tmp_path / "file" / "var")
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path / 'file' / 'var'}: Not a directory\n"


def test_an_unreachable_aws_is_one_error_line_with_exit_1_and_no_secret(tmp_path, monkeypatch):
    # boto3's session is shared by the process and keeps the environment it was made in:
    # this test gets its own, and the tests after it get theirs back.
    monkeypatch.setattr("humangov.adapters.aws.clients._session", None)
    result = humangov("states", "list", "--data-dir", tmp_path, env={
        "HUMANGOV_BACKEND": "aws", "AWS_ENDPOINT_URL": refused_url(),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "never-printed-secret",
    })
    assert result.exit_code == 1
    assert result.stderr.startswith("error: AWS call failed: Could not connect to the endpoint URL")
    assert result.stderr.count("\n") == 1
    assert "never-printed-secret" not in result.output
    assert "AKIAIOSFODNN7EXAMPLE" not in result.output


def test_the_stream_worker_on_the_embedded_backend_is_a_configuration_error(tmp_path):
    result = humangov("stream-worker", "--once", "--data-dir", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: the stream worker reads DynamoDB streams; set HUMANGOV_BACKEND=aws")


def test_an_invalid_monitoring_file_is_a_configuration_error(tmp_path):
    checks = tmp_path / "checks.yaml"
    checks.write_text("checks:\n  - {name: a, type: heartbeat, url: 'http://x/', "
                      "interval: 100ms}\n")
    result = humangov("monitor", "--config", checks, "--data-dir", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {checks} is invalid:", "  checks[0].interval: must be at least 1s"]


@pytest.mark.parametrize("command", [["monitor", "--config"], ["serve", "--monitoring-config"]])
def test_an_unusable_alarm_channel_is_a_configuration_error(command, tmp_path):
    checks, missing = tmp_path / "checks.yaml", tmp_path / "no-such-webhook-file"
    checks.write_text("checks:\n  - {name: up, type: heartbeat, url: 'http://127.0.0.1:9/', "
                      "interval: 30s}\n")
    result = humangov(*command, checks, "--data-dir", tmp_path,
                      env={"HUMANGOV_SLACK_WEBHOOK_URL_FILE": str(missing)})
    assert result.exit_code == 2
    assert result.stderr == (f"error: HUMANGOV_SLACK_WEBHOOK_URL_FILE: cannot read {missing} "
                             "(No such file or directory); fix the path or unset it\n")


def test_a_declined_confirmation_changes_nothing_and_exits_1(tmp_path):
    assert humangov("states", "add", "NV", "--data-dir", tmp_path).exit_code == 0
    result = humangov("states", "remove", "NV", "--data-dir", tmp_path, input="n\n")
    assert result.exit_code == 1
    assert result.stderr.endswith("error: aborted; nothing was changed.\n")
    assert "Nevada" in humangov("states", "list", "--data-dir", tmp_path).stdout


def test_machine_readable_output_alone_goes_to_stdout(tmp_path):
    assert humangov("states", "add", "CA", "--data-dir", tmp_path).exit_code == 0
    token = humangov("tokens", "create", "--role", "admin", "--data-dir", tmp_path)
    assert token.exit_code == 0 and token.stderr == ""
    assert token.stdout.startswith("hg_") and token.stdout.count("\n") == 1
    scan = humangov("orphans", "scan", "--all", "--format", "json", "--data-dir", tmp_path)
    assert scan.exit_code == 0, scan.output
    assert [s["state"] for s in orjson.loads(scan.stdout)] == ["CA"]


def test_the_import_command_switches_off_the_cyclic_collector_for_the_import(tmp_path, monkeypatch):
    from humangov.personnel import importer

    real, during = importer.import_csv, []

    def spy(*args, **kwargs):
        during.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "import_csv", spy)
    assert humangov("states", "add", "CA", "--data-dir", tmp_path).exit_code == 0
    staff = staff_csv(tmp_path)
    result = humangov("employees", "import", staff, "--state", "CA", "--data-dir", tmp_path)
    assert result.exit_code == 0, result.output
    assert during == [False] and gc.isenabled()


def test_the_importer_leaves_the_collector_alone(container, tmp_path):
    from humangov.personnel.importer import import_csv

    during = []
    with staff_csv(tmp_path).open(newline="") as source:
        import_csv(container.personnel, "CA", source, "test",
                   progress=lambda n: during.append(gc.isenabled()))
    assert during == [True]


@pytest.mark.slow
def test_the_installed_command_reports_an_error_without_a_traceback_and_imports_little(tmp_path):
    env = {**os.environ, "HUMANGOV_ENVIRONMENT": "test"}
    export = [sys.executable, "-m", "humangov", "employees", "export", "--state", "NV",
              "--data-dir", str(tmp_path)]
    result = subprocess.run(export, capture_output=True, text=True, env=env, timeout=60,
                            check=False)
    assert (result.returncode, result.stderr, result.stdout) == (1, NOT_PROVISIONED, "")

    # Every invocation imports the package; the heavy parts wait for the command that needs them.
    probe = ("import sys, humangov.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('uvicorn', 'fastapi', 'boto3', 'botocore', 'sqlalchemy', 'pydantic', 'asyncio') "
             "or m.startswith(('humangov.monitoring', 'humangov.web', 'humangov.bootstrap'))))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                            timeout=60, check=True)
    assert loaded.stdout.strip() == "[]"


def test_tokens_are_listed_by_id_and_revoked_at_once_even_for_a_running_app(tmp_path):
    from fastapi.testclient import TestClient

    from humangov.bootstrap import bootstrap
    from humangov.config import Settings
    from humangov.web.app import create_app

    assert humangov("states", "add", "CA", "--data-dir", tmp_path).exit_code == 0
    made = humangov("tokens", "create", "--role", "viewer", "--state", "CA", "--name", "ci",
                    "--expires", "30d", "--data-dir", tmp_path)
    assert made.exit_code == 0, made.output
    plain = made.stdout.strip()
    listed = humangov("tokens", "list", "--data-dir", tmp_path)
    assert listed.exit_code == 0 and plain not in listed.stdout
    container = bootstrap(Settings(environment="test", data_dir=tmp_path, monitoring=False))
    try:
        [token] = container.accounts.store.list_tokens()
        assert token.expires_at - token.created_at == timedelta(days=30)
        token_id = token.id
        assert token_id in listed.stdout
        with TestClient(create_app(container)) as app:
            auth = {"Authorization": f"Bearer {plain}"}
            assert app.get("/api/v1/states/CA/employees", headers=auth).status_code == 200
            revoked = humangov("tokens", "revoke", token_id, "--data-dir", tmp_path)
            assert revoked.exit_code == 0 and revoked.stdout == f"revoked ci ({token_id})\n"
            assert app.get("/api/v1/states/CA/employees", headers=auth).status_code == 401
    finally:
        container.close()
    again = humangov("tokens", "revoke", token_id, "--data-dir", tmp_path)
    assert again.exit_code == 1 and f"There is no token {token_id}" in again.stderr


def test_a_token_for_a_configured_canary_user_creates_synthetic_records(tmp_path):
    # As on AWS: the canary's user is named in HUMANGOV_CANARY_EMAILS, its token acts for it.
    from fastapi.testclient import TestClient

    from humangov.bootstrap import bootstrap
    from humangov.config import Settings
    from humangov.web.app import create_app
    from tests.conftest import PDF

    assert humangov("states", "add", "CA", "--data-dir", tmp_path).exit_code == 0
    assert humangov("users", "add", "canary-ca@humangov.local", "--role", "editor", "--state",
                    "CA", "--generate-password", "--data-dir", tmp_path).exit_code == 0
    made = humangov("tokens", "create", "--owner", "canary-ca@humangov.local",
                    "--data-dir", tmp_path)
    assert made.exit_code == 0, made.output
    both = humangov("tokens", "create", "--owner", "x@y.z", "--role", "admin",
                    "--data-dir", tmp_path)
    assert both.exit_code == 1 and "either --role" in both.stderr
    container = bootstrap(Settings(environment="test", data_dir=tmp_path, monitoring=False,
                                   canary_emails="Canary-CA@humangov.local, other@x.gov"))
    try:
        with TestClient(create_app(container)) as app:
            r = app.post("/api/v1/states/CA/employees",
                         headers={"Authorization": f"Bearer {made.stdout.strip()}"},
                         data={"first_name": "Syn", "last_name": "Thetic", "role": "Canary",
                               "salary": "1"},
                         files={"document": ("id.pdf", PDF, "application/pdf")})
            assert r.status_code == 201, r.text
        [employee] = container.records.list_employees(
            "CA", q=None, limit=10, cursor=None, include_synthetic=True).items
        assert employee.synthetic
        assert container.records.list_employees("CA", q=None, limit=10, cursor=None,
                                            include_synthetic=False).items == []
    finally:
        container.close()


def test_a_token_expiry_must_be_a_duration(tmp_path):
    result = humangov("tokens", "create", "--role", "admin", "--expires", "soon",
                      "--data-dir", tmp_path)
    assert result.exit_code == 2 and "must be a duration such as" in result.output


def test_the_user_lifecycle_from_the_command_line(tmp_path):
    d = ["--data-dir", tmp_path]
    pw = {"HUMANGOV_NEW_PASSWORD": "a long enough password"}
    r = humangov("users", "add", "ca@example.gov", "--role", "state-admin", "--state", "CA",
                 *d, env=pw)
    assert r.exit_code == 0 and "created ca@example.gov as state-admin for CA" in r.stdout
    r = humangov("users", "add", "ed@example.gov", "--role", "editor", "--state", "CA",
                 "--generate-password", *d)
    assert r.exit_code == 0 and "password (shown only once): " in r.stdout
    r = humangov("users", "set-role", "ed@example.gov", "--role", "viewer", "--state", "TX", *d)
    assert r.exit_code == 0 and "ed@example.gov is now viewer for TX" in r.stdout
    assert humangov("users", "disable", "ed@example.gov", *d).exit_code == 0
    listed = humangov("users", "list", *d).stdout
    assert re.search(r"ed@example.gov\s*│\s*viewer\s*│\s*TX\s*│\s*yes", listed), listed
    assert humangov("users", "enable", "ed@example.gov", *d).exit_code == 0
    assert re.search(r"ed@example.gov.*│\s*no", humangov("users", "list", *d).stdout)
    declined = humangov("users", "remove", "ed@example.gov", *d, input="n\n")
    assert declined.exit_code == 1 and "ed@example.gov" in humangov("users", "list", *d).stdout
    assert humangov("users", "remove", "ed@example.gov", "--yes", *d).exit_code == 0
    assert "ed@example.gov" not in humangov("users", "list", *d).stdout
    r = humangov("users", "disable", "ghost@example.gov", *d)
    assert r.exit_code == 1
    assert r.stderr == "error: There is no user with the email ghost@example.gov.\n"


def test_the_first_admin_made_before_serve_is_the_only_one(tmp_path):
    from humangov.bootstrap.serve import server
    from humangov.config import Settings

    r = humangov("users", "add", "root@example.gov", "--role", "admin", "--data-dir", tmp_path,
                 env={"HUMANGOV_NEW_PASSWORD": "a long enough password"})
    assert r.exit_code == 0
    said: list[str] = []
    _, container = server(Settings(environment="test", data_dir=tmp_path, monitoring=False),
                          announce=said.append)
    try:
        assert [u.email for u in container.accounts.list_users()] == ["root@example.gov"]
        assert not any("platform admin" in line for line in said)
    finally:
        container.close()


def test_serve_says_when_no_platform_admin_exists(tmp_path):
    from humangov.bootstrap.serve import server
    from humangov.config import Settings

    settings = Settings(environment="test", data_dir=tmp_path, monitoring=False)
    humangov("users", "add", "ca@example.gov", "--role", "state-admin", "--state", "CA",
             "--data-dir", tmp_path, env={"HUMANGOV_NEW_PASSWORD": "a long enough password"})
    said: list[str] = []
    _, container = server(settings, announce=said.append)
    container.close()
    assert any("No platform admin exists" in line and "users add EMAIL --role admin" in line
               for line in said), said
    said.clear()
    _, container = server(settings.model_copy(update={"data_dir": tmp_path / "fresh"}),
                          announce=said.append)
    container.close()
    assert any(line.startswith("No platform admin exists: created the first one")
               for line in said), said


def test_reindex_on_the_embedded_database_has_nothing_to_do(tmp_path):
    assert humangov("states", "add", "CA", "--data-dir", tmp_path).exit_code == 0
    result = humangov("employees", "reindex", "--state", "CA", "--data-dir", tmp_path)
    assert result.exit_code == 0, result.output
    assert "keeps its search index itself" in result.stdout
