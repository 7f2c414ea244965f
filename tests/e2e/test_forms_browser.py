"""The add-employee form in real headless Chromium: one submission shows every problem at
once, focused, with what was typed kept (an oversized PDF included); fixed, it goes through."""

from __future__ import annotations

import pytest

from tests.conftest import PDF
from tests.e2e.conftest import CHROMIUM_ARGS, PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def fill(page, values: dict[str, str]) -> None:
    for label, value in values.items():
        page.get_by_label(label).fill(value)


def test_every_error_at_once_with_the_typed_values_kept_then_fixed(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base, container = server
    limit = container.settings.max_document_bytes
    big, scan = tmp_path / "big.pdf", tmp_path / "scan.pdf"
    big.write_bytes(PDF + b"0" * (limit + 256 * 1024))  # past the limit and the form's slack
    scan.write_bytes(PDF)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(base_url=base)
            page.set_default_timeout(15_000)
            page.goto("/login?next=/states/CA/employees/new")
            page.get_by_label("Email").fill("admin@example.gov")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()

            # GIVEN the form, whose file field states the limit before anything is sent
            expect(page.get_by_text("A PDF file of at most 10 MiB.")).to_be_visible()

            # WHEN blank names, a negative salary and an oversized PDF are sent once
            fill(page, {"First name": "   ", "Last name": "  ", "Role": "Park Ranger",
                        "Annual salary (USD)": "-100"})
            page.get_by_label("Scanned ID document (PDF)").set_input_files(str(big))
            page.get_by_role("button", name="Add employee").click()

            # THEN every problem is listed at once, the list has focus, and the input is kept
            summary = page.locator(".error-summary")
            expect(summary).to_be_focused()
            expect(summary.get_by_role("listitem")).to_have_count(4)
            expect(page.locator("#first_name-error")).to_contain_text("cannot be blank")
            expect(page.locator("#last_name-error")).to_contain_text("cannot be blank")
            expect(page.locator("#salary-error")).to_contain_text("negative")
            expect(page.locator("#document-error")).to_contain_text("larger than the limit")
            expect(page.get_by_label("Role")).to_have_value("Park Ranger")
            expect(page.get_by_label("Annual salary (USD)")).to_have_value("-100")
            assert container.personnel.list_employees("CA").items == []

            # WHEN the problems are fixed and the form is sent again
            fill(page, {"First name": "Dorothy", "Last name": "Vaughan",
                        "Annual salary (USD)": "64000"})
            page.get_by_label("Scanned ID document (PDF)").set_input_files(str(scan))
            page.get_by_role("button", name="Add employee").click()

            # THEN the employee is added with what was typed the first time
            expect(page.get_by_role("status")).to_have_text("Employee added.")
            expect(page.get_by_role("heading", level=1)).to_have_text("Dorothy Vaughan")
            (added,) = container.personnel.list_employees("CA").items
            assert (added.role, str(added.salary)) == ("Park Ranger", "64000.00")
        finally:
            browser.close()
