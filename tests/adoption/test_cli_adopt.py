"""`humangov adopt` as an operator runs it: the plan, the run and its summary, many states
from one file, a refusal on the embedded backend; and SIGKILL in the middle of a real
`python -m humangov adopt` against moto_server, then a rerun."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from typer.testing import CliRunner

from humangov.bootstrap import bootstrap
from humangov.cli import app
from tests.adoption.layout import BUCKET, TABLE, Legacy

# One call in flight: moto's S3 is not thread-safe (see test_adopt.adopt).
NAMES = ["--legacy-table", TABLE, "--legacy-bucket", BUCKET, "--workers", "1"]


def env_for(settings) -> dict[str, str]:
    return {"HUMANGOV_BACKEND": "aws", "HUMANGOV_ENVIRONMENT": "test",
            "HUMANGOV_DATA_DIR": str(settings.data_dir), "HUMANGOV_MONITORING": "false",
            "COLUMNS": "200"}


def humangov(settings, *args):
    return CliRunner().invoke(app, list(args), prog_name="humangov", env=env_for(settings))


def provisioned(aws):
    container = bootstrap(aws.settings)
    container.personnel.add_state("CA")
    return container


def test_dry_run_then_adopt_print_the_plan_and_the_summary(aws_local):
    container = provisioned(aws_local)
    legacy = Legacy(aws_local.clients).create()
    legacy.add("Ada", "Lovelace")
    legacy.delete(legacy.add("Alan", "Turing"))
    bad = legacy.add("Bad", "Salary", salary="lots")

    plan = humangov(aws_local.settings, "adopt", "--state", "ca", *NAMES, "--dry-run")
    assert plan.exit_code == 0, plan.stderr
    assert plan.stdout.splitlines()[1:] == [
        "  records: 2: 1 to adopt with their document, 0 without one, 0 already adopted, "
        "1 to skip",
        "  objects to copy, verify and erase: 1",
        "  legacy backlog: 1 object(s) that no record names, left alone (see `humangov orphans "
        "scan` with --legacy-table and --legacy-bucket)",
        "  problems (1):",
        f"    {bad}: salary must be a number of US dollars, such as 55000.00; got 'lots'. "
        "-> skipped",
    ]
    assert list(container.records.iter_employees("CA")) == []

    declined = humangov(aws_local.settings, "adopt", "--state", "CA", *NAMES)
    assert declined.exit_code == 1 and list(container.records.iter_employees("CA")) == []

    done = humangov(aws_local.settings, "adopt", "--state", "CA", *NAMES, "--yes")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.startswith(
        "CA: 2 record(s): adopted 1 with their document and 0 without, 0 already adopted, "
        "1 skipped; 1 document(s) copied and verified, 1 earlier object(s) erased with a "
        "legacy-rekeyed receipt;")
    assert "objects/s" in done.stdout and f"{bad}: salary" in done.stdout


def test_many_states_from_one_file(aws_local, tmp_path):
    provisioned(aws_local)
    Legacy(aws_local.clients).create().add("Ada", "Lovelace")
    names = tmp_path / "states.yaml"
    names.write_text(f"- state: CA\n  legacy_table: {TABLE}\n  legacy_bucket: {BUCKET}\n")
    done = humangov(aws_local.settings, "adopt", "--from", str(names), "--yes", "--workers", "1")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.startswith("CA: 1 record(s): adopted 1 with their document")
    names.write_text(f"state,legacy_table,legacy_bucket\nTX,{TABLE},{BUCKET}\n")
    refused = humangov(aws_local.settings, "adopt", "--from", str(names.rename(
        tmp_path / "states.csv")), "--yes")
    assert refused.exit_code == 1
    assert refused.stderr == "error: The state TX is not provisioned in this HumanGov.\n"


def test_adopt_needs_the_aws_backend(tmp_path):
    result = CliRunner().invoke(app, ["adopt", "--state", "CA", *NAMES, "--data-dir",
                                      str(tmp_path / "var")], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "runs on the AWS backend" in result.stderr
    assert "humangov employees import FILE --state CA --documents DIR" in result.stderr


def test_sigkill_in_the_middle_then_a_rerun(aws_server):
    container = provisioned(aws_server)
    legacy = Legacy(aws_server.clients).create()
    for n in range(60):
        legacy.add(f"Person{n}", f"Number {n}")
    command = [sys.executable, "-m", "humangov", "adopt", "--state", "CA", *NAMES, "--yes",
               "--verbose", "--batch-size", "5"]
    env = {**os.environ, **env_for(aws_server.settings)}
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env) as run:
        done = 0
        for line in run.stdout:
            done += " adopted -> " in line
            if done == 12:
                run.send_signal(signal.SIGKILL)
                break
        assert run.wait(timeout=60) == -signal.SIGKILL
    adopted = {e.id for e in container.records.iter_employees("CA")}
    assert 12 <= len(adopted) < 60

    rerun = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    summary = rerun.stdout.splitlines()[-1]
    assert summary.startswith(f"CA: 60 record(s): adopted {60 - len(adopted)} with their "
                              f"document and 0 without, {len(adopted)} already adopted"), summary

    employees = list(container.records.iter_employees("CA"))
    assert sorted(e.id for e in employees) == sorted(legacy.living)
    for e in employees:
        assert b"".join(container.blobs.open("CA", e.document.key)) == legacy.living[e.id][1]
    assert legacy.object_keys() == set()
    got = container.ledger.receipts("CA", limit=1000, cursor=None)[0]
    assert sorted(r.key for r in got) == sorted(key for key, _ in legacy.living.values())
