"""CSV import (all or nothing, every bad row by line number, deletes that erase) and export."""

from __future__ import annotations

import csv
import io

import pytest
from typer.testing import CliRunner

from humangov.cli import app
from humangov.personnel.importer import ImportRejected, export_rows, import_csv
from tests.conftest import PDF


def csv_text(*lines: str) -> io.StringIO:
    return io.StringIO("\n".join(lines) + "\n")


def roster(container, state="CA") -> list[str]:
    return sorted(e.last_name for e in container.records.iter_employees(state))


def test_an_import_adds_every_row_with_its_history(container):
    result = import_csv(container.personnel, "ca", csv_text(
        "first_name,last_name,role,salary", "Ada,Lovelace,Analyst,85000",
        "Alan,Turing,Cryptanalyst,90000.50",
    ), "cli:test")
    assert (result.added, result.deleted) == (2, 0)
    assert roster(container) == ["Lovelace", "Turing"]
    turing = next(e for e in container.records.iter_employees("CA") if e.last_name == "Turing")
    [entry] = container.personnel.history("CA", turing.id)
    assert entry.action == "added" and entry.actor == "cli:test"
    assert ("salary", None, "90000.50") in entry.changes


def test_a_file_with_bad_rows_imports_nothing_and_names_every_bad_line(container):
    with pytest.raises(ImportRejected) as rejected:
        import_csv(container.personnel, "CA", csv_text(
            "first_name,last_name,role,salary",
            "Ada,Lovelace,Analyst,85000",
            "Bad,Salary,Clerk,-5",
            "Too,Few,Columns",
            ",Blank,Clerk,1",
            "Alan,Turing,Cryptanalyst,90000",
        ), "cli:test")
    assert [(e.line, e.reason.split()[0]) for e in rejected.value.errors] == [
        (3, "salary"), (4, "expected"), (5, "first_name")]
    assert roster(container) == []


def test_a_bad_row_after_many_batches_still_imports_nothing(container):
    rows = [f"P{i},Person{i},Clerk,1000" for i in range(12_000)] + ["X,Y,Z,not-money"]
    with pytest.raises(ImportRejected) as rejected:
        import_csv(container.personnel, "CA", csv_text("first_name,last_name,role,salary", *rows),
                   "t")
    assert rejected.value.errors[0].line == 12_002
    assert roster(container) == []


def test_a_delete_row_deletes_the_employee_and_queues_the_document_for_erasure(container):
    kept = container.personnel.add_employee(
        "CA", {"first_name": "K", "last_name": "Kept", "role": "R", "salary": "1"},
        io.BytesIO(PDF), "t")
    gone = container.personnel.add_employee(
        "CA", {"first_name": "G", "last_name": "Gone", "role": "R", "salary": "1"},
        io.BytesIO(PDF), "t")
    result = import_csv(container.personnel, "CA", csv_text(
        "id,first_name,last_name,role,salary,action", f"{gone.id},,,,,delete",
        ",New,Hire,Clerk,1,add",
    ), "cli:test")
    assert (result.added, result.deleted) == (1, 1)
    assert roster(container) == ["Hire", "Kept"]
    assert container.outbox.pending_count("CA") == 1
    assert kept.id != gone.id


def test_deleting_an_unknown_employee_rejects_the_whole_file(container):
    with pytest.raises(ImportRejected) as rejected:
        import_csv(container.personnel, "CA", csv_text(
            "id,first_name,last_name,role,salary,action",
            ",Ada,Lovelace,Analyst,1,add",
            "00000000-0000-4000-8000-000000000000,,,,,delete",
        ), "t")
    assert "no employee" in rejected.value.errors[0].reason
    assert roster(container) == []


def test_a_header_without_the_required_columns_is_refused(container):
    with pytest.raises(Exception, match="header lacks salary"):
        import_csv(container.personnel, "CA", csv_text("first_name,last_name,role"), "t")


def test_export_leaves_out_synthetic_records(container):
    container.personnel.add_employee("CA", {"first_name": "Real", "last_name": "Person",
                                            "role": "R", "salary": "1"}, io.BytesIO(PDF), "t")
    container.personnel.add_employee("CA", {"first_name": "Canary", "last_name": "Bird",
                                            "role": "R", "salary": "1"}, io.BytesIO(PDF), "t",
                                     synthetic=True)
    rows = list(export_rows(container.personnel, "CA"))
    assert rows[0][:5] == ["id", "first_name", "last_name", "role", "salary"]
    assert [r[2] for r in rows[1:]] == ["Person"]


def test_the_cli_reports_bad_rows_by_file_and_line(settings, container, tmp_path):
    bad = tmp_path / "staff.csv"
    bad.write_text("first_name,last_name,role,salary\nAda,Lovelace,Analyst,lots\n")
    result = CliRunner().invoke(app, ["employees", "import", "--state", "CA", str(bad),
                                      "--data-dir", str(settings.data_dir)])
    assert result.exit_code == 1
    assert f"{bad}:2: salary must be a number" in result.output
    assert "Traceback" not in result.output


def test_the_cli_imports_then_exports_the_same_people(settings, container, tmp_path):
    good = tmp_path / "staff.csv"
    good.write_text("first_name,last_name,role,salary\nAda,Lovelace,Analyst,85000\n")
    runner = CliRunner()
    imported = runner.invoke(app, ["employees", "import", "--state", "CA", str(good), "--data-dir",
                                   str(settings.data_dir)])
    assert imported.exit_code == 0, imported.output
    exported = runner.invoke(app, ["employees", "export", "--state", "CA",
                                   "--data-dir", str(settings.data_dir)])
    rows = list(csv.reader(io.StringIO(exported.stdout)))
    assert [r[1:5] for r in rows[1:]] == [["Ada", "Lovelace", "Analyst", "85000.00"]]


def test_the_export_neutralises_formula_cells_and_shows_control_characters(container):
    # GIVEN names a spreadsheet would run as formulas, and one stored before control
    # characters were refused (written to the store directly)
    from dataclasses import replace

    from humangov.domain.model import HistoryEntry

    import_csv(container.personnel, "CA", csv_text(
        "first_name,last_name,role,salary",
        '"=HYPERLINK(""http://x"",""y"")",Plus,+Clerk,1',
        "-Minus,@SUM(A1),Clerk,2",
        "Old,Name,Clerk,3",
    ), "t")
    old = next(e for e in container.records.iter_employees("CA") if e.last_name == "Name")
    container.records.update_employee(
        replace(old, first_name="Esc\x1b[31m\u202e", version=old.version + 1), old.version,
        HistoryEntry(old.id, "CA", "changed", "t", old.updated_at))
    # THEN every formula cell starts with ', and control characters show as U+FFFD
    rows = list(export_rows(container.personnel, "CA"))[1:]
    cells = {cell for row in rows for cell in row[1:4]}
    assert cells == {"'=HYPERLINK(\"http://x\",\"y\")", "Plus", "'+Clerk", "'-Minus",
                     "'@SUM(A1)", "Clerk", "Esc\ufffd[31m\ufffd", "Name"}


@pytest.mark.parametrize("bad", ["Null\x00Byte", "Esc\x1b[2J", "Del\x7f", "Tab\there",
                                 "Evil\u202egnp.exe", "Iso\u2066late"])
def test_an_import_refuses_control_and_direction_characters_per_row(container, bad):
    with pytest.raises(ImportRejected) as rejected:
        import_csv(container.personnel, "CA", csv_text(
            "first_name,last_name,role,salary", "Ada,Lovelace,Analyst,1", f"{bad},X,Clerk,1",
        ), "t")
    [error] = rejected.value.errors
    assert error.line == 3 and "control or text-direction character" in error.reason
    assert roster(container) == []
