"""Separations in the CSV import and export (on the embedded SQLite store): rows that add an
employee already separated or separate an existing one, the export's columns that round-trip,
and bad separations rejected by line with nothing written."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from typer.testing import CliRunner

from humangov.cli import app
from humangov.personnel.importer import ImportRejected, export_rows, import_csv
from tests.conftest import PDF

HEADER = "id,first_name,last_name,role,salary,action,separated_on,separation_reason"


def csv_text(*lines: str) -> io.StringIO:
    return io.StringIO("\n".join(lines) + "\n")


def hire(container, last_name):
    return container.personnel.add_employee(
        "CA", {"first_name": "Ada", "last_name": last_name, "role": "Clerk", "salary": "1"},
        io.BytesIO(PDF), "hr")


def by_name(container, last_name):
    return next(e for e in container.records.iter_employees("CA") if e.last_name == last_name)


def test_rows_separate_existing_employees_and_add_separated_ones(container):
    stays, leaves = hire(container, "Stays"), hire(container, "Leaves")
    result = import_csv(container.personnel, "CA", csv_text(
        HEADER,
        f"{leaves.id},,,,,separate,2026-06-30,resigned",
        ",Grace,Hopper,Admiral,1,,1992-08-14,retired",
    ), "cli:test")
    assert (result.added, result.separated, result.deleted) == (1, 1, 0)
    left = container.personnel.get_employee("CA", leaves.id)
    assert (left.separated_on, left.separation_reason) == (date(2026, 6, 30), "resigned")
    assert left.version == leaves.version + 1
    assert container.personnel.get_employee("CA", stays.id).separated_on is None
    [_, entry] = container.personnel.history("CA", leaves.id)
    assert entry.action == "separated" and entry.actor == "cli:test"
    assert ("separated_on", None, "2026-06-30") in entry.changes
    hopper = by_name(container, "Hopper")
    assert (hopper.separated_on, hopper.separation_reason) == (date(1992, 8, 14), "retired")
    assert [h.action for h in container.personnel.history("CA", hopper.id)] == [
        "added", "separated"]
    # Separated employees leave the default list, as with `humangov employees separate`.
    names = [e.last_name for e in container.personnel.list_employees("CA").items]
    assert names == ["Stays"]


def test_an_imported_separation_falls_under_the_retention_schedule(container):
    from humangov.domain.auth import Principal

    container.retention.set("CA", None, 7, Principal("user:a", "admin"))
    old = hire(container, "Old")
    import_csv(container.personnel, "CA", csv_text(
        HEADER, f"{old.id},,,,,separate,2001-01-31,retired"), "t")
    [due] = container.retention.run(["CA"], dry_run=True)
    assert (due.employee_id, due.what, due.due) == (old.id, "record", date(2008, 1, 31))


def test_bad_separations_are_named_by_line_and_nothing_is_written(container):
    ada, twice = hire(container, "Ada"), hire(container, "Twice")
    container.personnel.separate_employee("CA", twice.id, "2020-01-01", "retired", "hr")
    with pytest.raises(ImportRejected) as rejected:
        import_csv(container.personnel, "CA", csv_text(
            HEADER,
            f"{ada.id},,,,,separate,2026-06-30,resigned",  # good, but the file is rejected
            f"{ada.id},,,,,separate,someday,resigned",
            f"{ada.id},,,,,separate,2026-06-30,",
            ",New,Hire,Clerk,1,,,moved away",
            f"{twice.id},,,,,separate,2026-06-30,resigned",
            "not-an-id,,,,,separate,2026-06-30,resigned",
            f"{ada.id},,,,,separate,,",
            ",Good,Row,Clerk,1,,,",
        ), "t")
    errors = [(e.line, e.reason) for e in rejected.value.errors]
    assert [line for line, _ in errors] == [3, 4, 5, 6, 7, 8]
    assert "separated_on must be a date" in errors[0][1]
    assert "without separation_reason" in errors[1][1]
    assert "without separated_on" in errors[2][1]
    assert "already separated on 2020-01-01" in errors[3][1]
    assert "needs the employee's id" in errors[4][1]
    assert "needs separated_on and separation_reason" in errors[5][1]
    assert container.personnel.get_employee("CA", ada.id).separated_on is None
    assert sorted(e.last_name for e in container.records.iter_employees("CA")) == [
        "Ada", "Twice"]


def test_a_row_cannot_separate_an_employee_deleted_or_separated_by_an_earlier_row(container):
    ada = hire(container, "Ada")
    with pytest.raises(ImportRejected) as rejected:
        import_csv(container.personnel, "CA", csv_text(
            HEADER,
            f"{ada.id},,,,,separate,2026-06-30,resigned",
            f"{ada.id},,,,,separate,2026-07-01,resigned",
            f"{ada.id},,,,,delete,,",
            f"{ada.id},,,,,separate,2026-07-01,resigned",
        ), "t")
    assert [(e.line, e.reason.split(" by ")[0].split()[-1]) for e in rejected.value.errors] \
        == [(3, "separated"), (5, "deleted")]


def test_export_then_import_keeps_the_separation(settings, container, tmp_path):
    leaves = hire(container, "Leaves")
    container.personnel.separate_employee("CA", leaves.id, "2026-06-30", "resigned", "hr")
    rows = list(export_rows(container.personnel, "CA"))
    assert rows[0][-2:] == ["separated_on", "separation_reason"]
    assert rows[1][-2:] == ["2026-06-30", "resigned"]
    exported = tmp_path / "ca.csv"
    with exported.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    result = CliRunner().invoke(app, ["employees", "import", "--state", "TX", str(exported),
                                      "--data-dir", str(settings.data_dir)])
    assert result.exit_code == 0, result.output
    [copy] = container.records.iter_employees("TX")
    assert (copy.last_name, copy.separated_on, copy.separation_reason) == (
        "Leaves", date(2026, 6, 30), "resigned")
