"""`humangov retention daily` and `humangov requests check --format json`: what scheduled
tasks run on AWS instead of `serve`'s jobs; each ends in one JSON line for metric filters."""

from __future__ import annotations

import io
import json

from humangov.bootstrap import bootstrap
from humangov.cli.requests import REQUESTS_EVENT
from humangov.cli.retention import RETENTION_EVENT
from humangov.config import Settings
from humangov.domain.auth import Principal
from tests.cli.test_cli import humangov
from tests.conftest import PDF

ADMIN = Principal("cli:test", "admin")


def _hire(c, last_name: str, separated_on: str):
    e = c.personnel.add_employee("CA", {"first_name": "Ada", "last_name": last_name,
                                        "role": "Clerk", "salary": "1"},
                                 io.BytesIO(PDF), "test")
    return c.personnel.separate_employee("CA", e.id, separated_on, "resigned", "test")


def _lines(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_the_daily_retention_run_erases_every_state_and_counts_what_a_hold_keeps(tmp_path):
    c = bootstrap(Settings(data_dir=tmp_path, environment="test"))
    for code in ("CA", "TX"):
        c.personnel.add_state(code)
    c.retention.set("CA", None, 7, ADMIN)
    gone = _hire(c, "Gone", "2000-01-01")
    kept = _hire(c, "Kept", "2000-01-01")
    c.holds.place(ADMIN, "CA", "Doe v. California", [kept.id])
    c.close()

    result = humangov("retention", "daily", "--data-dir", tmp_path)

    assert result.exit_code == 0, result.output
    # Held for a matter is not late: it would keep the alarm raised for the whole lawsuit.
    assert _lines(result) == [{"event": RETENTION_EVENT, "states": 2, "erased": 1, "held": 1,
                               "late": 0, "failed": 0}]
    c = bootstrap(Settings(data_dir=tmp_path, environment="test"))
    try:
        assert c.records.get_employee("CA", gone.id) is None
        assert c.records.get_employee("CA", kept.id) is not None
    finally:
        c.close()


def test_the_request_check_counts_every_overdue_request_until_it_is_done(tmp_path):
    settings = Settings(data_dir=tmp_path, environment="test")
    c = bootstrap(settings)
    c.personnel.add_state("CA")
    held = _hire(c, "Held", "2020-01-01")
    hold = c.holds.place(ADMIN, "CA", "Doe v. California", [held.id])
    c.requests.file(ADMIN, "CA", subject=held.id, legal_basis="CCPA 1798.105",
                    due=held.separated_on)  # overdue (and alarmed in `serve`) as it is filed
    c.close()

    def check() -> dict:
        result = humangov("requests", "check", "--format", "json", "--data-dir", tmp_path)
        assert result.exit_code == 0, result.output
        [line] = _lines(result)
        return line

    # Every run counts it, not only the one that saw it become overdue: the alarm stays up.
    assert check() == {"event": REQUESTS_EVENT, "states": 1, "closed": 0, "newly_overdue": 0,
                       "overdue": 1, "purged": 0, "failed": 0}
    c = bootstrap(settings)
    c.holds.release(ADMIN, "CA", hold.id)
    c.close()
    assert check()["overdue"] == 1  # erased now, but the document has no receipt yet
    c = bootstrap(settings)
    c.erasures.worker("test").drain()
    c.close()
    done = check()
    assert (done["closed"], done["overdue"]) == (1, 0)


def test_serve_leaves_retention_and_requests_to_the_scheduler_when_told_to(tmp_path):
    from humangov.bootstrap.serve import scheduled_checks
    from humangov.erasure_requests.service import RequestJobs
    from humangov.retention.service import RetentionJob

    def checks(**settings) -> list[type]:
        c = bootstrap(Settings(data_dir=tmp_path, environment="test", **settings))
        try:
            return [type(job) for job in scheduled_checks(c)]
        finally:
            c.close()

    assert checks() == [RequestJobs, RetentionJob]
    assert checks(requests_schedule="off") == [RetentionJob]
    assert checks(requests_schedule="off", retention_schedule="off") == []
