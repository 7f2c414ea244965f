"""`humangov requests`: file a request by name, see it erase the record, list and show it as
table and JSON, close it with `check` once the worker erased the document; errors are one
line, never a traceback."""

from __future__ import annotations

import io

import orjson

from humangov.bootstrap import bootstrap
from humangov.cli.common import load_settings
from tests.cli.test_cli import humangov
from tests.conftest import PDF


def test_file_list_show_and_check_a_request(tmp_path):
    data = tmp_path / "var"
    assert humangov("states", "add", "CA", "--data-dir", data).exit_code == 0
    c = bootstrap(load_settings(data))
    ada = c.personnel.add_employee("CA", {"first_name": "Ada", "last_name": "Lovelace",
                                          "role": "Analyst", "salary": "1"},
                                   io.BytesIO(PDF), "cli:test")
    c.close()
    filed = humangov("requests", "file", "--state", "ca", "--subject", "Ada Lovelace",
                     "--basis", "CCPA 1798.105", "--due", "2099-03-31", "--format", "json",
                     "--data-dir", data)
    assert filed.exit_code == 0, filed.stderr
    request = orjson.loads(filed.stdout)
    assert (request["employee_ids"], request["status"]) == ([ada.id], "open")
    c = bootstrap(load_settings(data))
    c.erasures.worker("test").drain()
    c.close()
    checked = humangov("requests", "check", "--data-dir", data)
    assert checked.stdout.strip() == "closed 1, newly overdue 0, purged 0"
    listed = humangov("requests", "list", "--state", "CA", "--format", "json", "--data-dir", data)
    [done] = [orjson.loads(line) for line in listed.stdout.splitlines()]
    assert done["status"] == "done"
    assert [r["key"] for r in done["receipts"]] == [ada.document.key]
    shown = humangov("requests", "show", request["id"], "--state", "CA", "--data-dir", data)
    assert shown.exit_code == 0 and ada.document.key in shown.stdout
    events = humangov("audit", "--kind", "request.filed", "--format", "json", "--data-dir", data)
    assert orjson.loads(events.stdout)["subject"] == request["id"]


def test_a_bad_due_date_and_an_unknown_request_are_one_line_errors(tmp_path):
    data = tmp_path / "var"
    assert humangov("states", "add", "CA", "--data-dir", data).exit_code == 0
    bad = humangov("requests", "file", "--state", "CA", "--subject", "x", "--basis", "y",
                   "--due", "soon", "--data-dir", data)
    assert bad.exit_code == 2 and "is not a date like 2026-03-31" in bad.stderr
    missing = humangov("requests", "show", "nope", "--state", "CA", "--data-dir", data)
    assert (missing.exit_code, missing.stderr) == (
        1, "error: There is no erasure request nope in CA.\n")
