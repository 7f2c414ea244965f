"""The embedded backend's adoption: `humangov employees import FILE --documents DIR`, a CSV
whose `document` column names PDFs in DIR. Each document is stored under a new opaque key with
its sha256; a missing or non-PDF file is its row's error, and one bad row imports nothing
(and leaves no document stored); the files in DIR are only read."""

from __future__ import annotations

import hashlib
import re

from typer.testing import CliRunner

from humangov.bootstrap import bootstrap
from humangov.cli import app
from humangov.cli.common import load_settings
from tests.adoption.layout import pdf

KEY = re.compile(r"^[0-9a-f-]{36}/[0-9a-f-]{36}\.pdf$")


def humangov(*args):
    return CliRunner().invoke(app, [str(a) for a in args], prog_name="humangov",
                              env={"COLUMNS": "200", "HUMANGOV_DATA_DIR": None})


def export(tmp_path, rows: str, files: dict[str, bytes]):
    folder = tmp_path / "export"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    staff = tmp_path / "staff.csv"
    staff.write_text("first_name,last_name,role,salary,document\n" + rows)
    assert humangov("states", "add", "CA", "--data-dir", tmp_path / "var").exit_code == 0
    return staff, folder


def stored(tmp_path):
    container = bootstrap(load_settings(tmp_path / "var"))
    try:
        employees = list(container.records.iter_employees("CA"))
        return {e.last_name: (e, e.document and b"".join(
            container.blobs.open("CA", e.document.key))) for e in employees}, sum(
            len(c) for c in container.blobs.list_key_chunks("CA"))
    finally:
        container.close()


def test_documents_are_stored_under_new_keys_with_their_hash(tmp_path):
    files = {"7c1e_maria josé garcía.pdf": pdf("Maria"), "ada.pdf": pdf("Ada")}
    staff, folder = export(tmp_path, (
        "Maria José,García,Clerk,52000,7c1e_maria josé garcía.pdf\n"
        "Ada,Lovelace,Analyst,85000,ada.pdf\n"
        "Alan,Turing,Analyst,80000,\n"), files)

    result = humangov("employees", "import", staff, "--state", "CA", "--documents", folder,
                      "--data-dir", tmp_path / "var")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == "imported 3 employee(s) into CA\n"
    found, count = stored(tmp_path)
    for last, name in (("García", "7c1e_maria josé garcía.pdf"), ("Lovelace", "ada.pdf")):
        employee, content = found[last]
        assert KEY.match(employee.document.key) and content == files[name]
        assert employee.document.sha256 == hashlib.sha256(files[name]).hexdigest()
    assert found["Turing"][0].document is None and count == 2
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == files  # left as they were


def test_missing_and_non_pdf_documents_are_row_errors_and_nothing_is_kept(tmp_path):
    staff, folder = export(tmp_path, (
        "Ada,Lovelace,Analyst,85000,ada.pdf\n"
        "Maria,García,Clerk,52000,gone.pdf\n"
        "Alan,Turing,Analyst,80000,notes.txt\n"
        "Grace,Hopper,Engineer,91000,../staff.csv\n"), {"ada.pdf": pdf("Ada"),
                                                         "notes.txt": b"just text"})

    result = humangov("employees", "import", staff, "--state", "CA", "--documents", folder,
                      "--data-dir", tmp_path / "var")

    assert result.exit_code == 1
    # (the progress bar, transient, leaves an empty line behind on a non-terminal)
    assert [line for line in result.stderr.splitlines() if line] == [
        f"{staff}:3: document 'gone.pdf' is not a file in {folder}",
        f"{staff}:4: document 'notes.txt': The document is not a PDF (its content does not "
        "start with a PDF header). Upload the scanned ID as a PDF file.",
        f"{staff}:5: document '../staff.csv' is not a file in {folder}",
        "error: 3 row(s) are invalid; nothing was imported.",
    ]
    assert stored(tmp_path) == ({}, 0)  # ada.pdf, stored before the bad rows, is erased


def test_a_document_column_needs_the_folder(tmp_path):
    staff, _ = export(tmp_path, "Ada,Lovelace,Analyst,85000,ada.pdf\n", {})
    result = humangov("employees", "import", staff, "--state", "CA",
                      "--data-dir", tmp_path / "var")
    assert result.exit_code == 1
    assert result.stderr.lstrip() == ("error: line 1: the header has a document column: pass "
                             "--documents DIR, the folder holding the files it names.\n")
