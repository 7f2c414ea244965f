"""The earlier application's backlog (issue 12): attach its table and bucket to a state, sweep
the bucket's objects no earlier record names, and never touch a living record's file."""

from __future__ import annotations

import json
from datetime import timedelta

from typer.testing import CliRunner

from humangov.adapters.aws.naming import IDENTITY_TAG, LEGACY_TAG
from humangov.cli import app
from humangov.ports import EarlierApp
from tests.legacy.conftest import BUCKET, TABLE

SELECTION = ("--state", "CA", "--legacy-table", TABLE, "--legacy-bucket", BUCKET)


def humangov(*args: str, env: dict | None = None, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input, prog_name="humangov",
                              env={"COLUMNS": "200", **(env or {})})


def tags(s3, bucket: str = BUCKET) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}


def attach() -> None:
    result = humangov("legacy", "attach", *SELECTION)
    assert result.exit_code == 0, result.output


def receipts(container) -> list:
    return container.ledger.receipts("CA", limit=100, cursor=None)[0]


def test_attach_tags_the_bucket_keeping_its_tags_and_records_the_pair(on_aws):
    aws, _, _ = on_aws
    attach()
    assert tags(aws.clients.s3) == {"team": "hr", LEGACY_TAG: "CA"}
    listed = humangov("legacy", "list", "--format", "json")
    assert json.loads(listed.stdout) == [{"state": "CA", "table": TABLE, "bucket": BUCKET}]
    # Detaching forgets the pair and leaves the tag.
    assert humangov("legacy", "detach", "--state", "CA").exit_code == 0
    assert json.loads(humangov("legacy", "list", "--format", "json").stdout) == []
    assert tags(aws.clients.s3)[LEGACY_TAG] == "CA"
    again = humangov("legacy", "detach", "--state", "CA")
    assert (again.exit_code, again.stderr) == (
        1, "error: No earlier application is attached to CA.\n")


def test_attach_refuses_what_is_not_an_earlier_application(on_aws):
    aws, _, _ = on_aws
    s3 = aws.clients.s3
    ours = humangov("legacy", "attach", "--state", "CA", "--legacy-table",
                    "humangov-ca-records", "--legacy-bucket", BUCKET)
    assert ours.exit_code == 1
    assert ours.stderr.startswith("error: The table humangov-ca-records is not an earlier "
                                  "HumanGov table (its key is pk, sk, not id).")
    missing = humangov("legacy", "attach", "--state", "CA", "--legacy-table", TABLE,
                       "--legacy-bucket", "no-such-bucket")
    assert (missing.exit_code, missing.stderr) == (
        1, "error: There is no bucket no-such-bucket: check the name.\n")
    own = humangov("legacy", "attach", "--state", "CA", "--legacy-table", TABLE,
                   "--legacy-bucket", "humangov-ca-documents")
    assert own.exit_code == 1
    assert own.stderr.startswith("error: The bucket humangov-ca-documents is HumanGov's own")
    assert tags(s3, "humangov-ca-documents") == {IDENTITY_TAG: "CA"}
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": LEGACY_TAG, "Value": "NV"}]})
    other = humangov("legacy", "attach", *SELECTION)
    assert other.exit_code == 1
    assert other.stderr.startswith(f"error: The bucket {BUCKET} is attached to NV")
    assert tags(s3) == {LEGACY_TAG: "NV"}
    assert json.loads(humangov("legacy", "list", "--format", "json").stdout) == []
    # Nothing was attached, so the backlog of that bucket cannot be swept for CA.
    scan = humangov("orphans", "scan", *SELECTION, "--grace", "0s")
    assert scan.exit_code == 1
    assert scan.stderr.lstrip().startswith(f"error: The bucket {BUCKET} is not attached to CA")


def test_the_scan_reports_exactly_the_backlog_never_a_living_records_file(on_aws):
    _, _, earlier = on_aws
    attach()
    for selection in (SELECTION, ("--state", "CA", "--legacy")):
        result = humangov("orphans", "scan", *selection, "--grace", "0s", "--format", "json")
        assert result.exit_code == 0, result.output
        found = json.loads(result.stdout)
        # Reported as today's scan reports files: the earlier names are valid keys.
        assert [f["key"] for f in found["orphans"]] == sorted(earlier.orphans)
        assert (found["foreign"], found["dangling"]) == ([], [])
        assert found["scanned_files"] == len(earlier.living + earlier.orphans)
    # Within the grace, nothing is reported.
    young = humangov("orphans", "scan", "--state", "CA", "--legacy", "--format", "json")
    assert json.loads(young.stdout)["orphans"] == []


def test_purge_erases_every_version_of_the_backlog_with_receipts(on_aws):
    _, container, earlier = on_aws
    attach()
    declined = humangov("orphans", "purge", "--state", "CA", "--legacy", "--grace", "0s",
                        input="n\n")
    assert declined.exit_code == 1
    assert earlier.keys() == set(earlier.living + earlier.orphans)
    result = humangov("orphans", "purge", "--state", "CA", "--legacy", "--grace", "0s", "--yes")
    assert result.exit_code == 0, result.output
    assert earlier.keys() == set(earlier.living)
    assert [earlier.versions(k) for k in earlier.living] == [2, 1]
    got = receipts(container)
    assert sorted(r.key for r in got) == sorted(earlier.orphans)
    assert {(r.reason, r.result, r.state) for r in got} == {("orphan-sweep", "erased", "CA")}
    assert sorted(len(r.versions) for r in got) == [1, 2]
    again = humangov("orphans", "scan", "--state", "CA", "--legacy", "--grace", "0s",
                     "--format", "json")
    assert json.loads(again.stdout)["orphans"] == []


def test_a_file_an_earlier_record_names_by_the_time_of_purge_is_kept(on_aws):
    aws, container, earlier = on_aws
    attach()
    app_ = EarlierApp("CA", TABLE, BUCKET)
    revived = earlier.orphans[0]

    def meanwhile(result) -> bool:
        # Between the scan and the purge, an earlier record comes to name one of them.
        assert revived in [f.key for f in result.orphans]
        aws.clients.dynamodb.put_item(TableName=TABLE, Item={
            "id": {"S": "restored"}, "pdf": {"S": revived}})
        return True

    container.erasures.sweep("CA", grace=timedelta(0), purge_orphans=True, confirm=meanwhile,
                             backlog=app_)
    assert earlier.keys() == {*earlier.living, revived}
    assert [r.key for r in receipts(container)] == [k for k in earlier.orphans if k != revived]


def test_every_sweep_of_an_attached_state_keeps_the_earlier_records_files(on_aws):
    # CA's own bucket holds a copy of a living earlier employee's file under its earlier
    # name (a state pointed at the earlier files): while attached, no sweep erases it.
    aws, container, earlier = on_aws
    s3 = aws.clients.s3
    living = earlier.living[0]
    s3.put_object(Bucket="humangov-ca-documents", Key=living, Body=b"%PDF-1.4 copy")
    s3.put_object(Bucket="humangov-ca-documents", Key="stray.pdf", Body=b"%PDF-1.4 stray")
    attach()
    result = container.erasures.sweep("CA", grace=timedelta(0), purge_orphans=True)
    assert [f.key for f in result.orphans] == ["stray.pdf"]
    assert s3.head_object(Bucket="humangov-ca-documents", Key=living)["ContentLength"] == 13
    # Detached, its records protect nothing any more: the copy is an orphan like any other.
    assert humangov("legacy", "detach", "--state", "CA").exit_code == 0
    assert [f.key for f in container.erasures.sweep(
        "CA", grace=timedelta(0), purge_orphans=False).orphans] == [living]


def test_legacy_commands_on_the_embedded_backend_point_to_the_import(tmp_path):
    env = {"HUMANGOV_BACKEND": "embedded", "HUMANGOV_DATA_DIR": str(tmp_path)}
    for args in (["legacy", "attach", *SELECTION], ["legacy", "list"]):
        result = humangov(*args, env=env)
        assert result.exit_code == 1
        assert "employees import --documents" in result.stderr
