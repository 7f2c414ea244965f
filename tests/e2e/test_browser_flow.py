"""The whole personnel flow in real headless Chromium against the real app over HTTP:
log in, pick a state, add with a PDF, edit, view and download, history, delete."""

from __future__ import annotations

import pytest

from tests.conftest import PDF
from tests.e2e.conftest import CHROMIUM_ARGS, PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_an_admin_adds_edits_views_and_deletes_an_employee_in_a_browser(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base, container = server
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(PDF)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(base_url=base, accept_downloads=True)
            page.set_default_timeout(15_000)

            # GIVEN a logged-in platform admin
            page.goto("/")
            expect(page).to_have_url(f"{base}/login?next=/")
            page.get_by_label("Email").fill("admin@example.gov")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()

            # WHEN they pick California and add an employee with a scanned ID
            page.get_by_role("link", name="CA California").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("California")
            page.get_by_role("link", name="Add employee").click()
            page.get_by_label("First name").fill("Mary")
            page.get_by_label("Last name").fill("Jackson")
            page.get_by_label("Role").fill("Engineer")
            page.get_by_label("Annual salary (USD)").fill("68000")
            page.get_by_label("Scanned ID document (PDF)").set_input_files(str(pdf))
            page.get_by_role("button", name="Add employee").click()
            expect(page.locator(".flash")).to_have_text("Employee added.")
            expect(page.get_by_role("heading", level=1)).to_have_text("Mary Jackson")

            # AND change the salary
            page.get_by_role("link", name="Edit").click()
            page.get_by_label("Annual salary (USD)").fill("75000.25")
            page.get_by_role("button", name="Save changes").click()
            expect(page.locator(".flash")).to_have_text("Changes saved.")
            expect(page.locator(".facts").first).to_contain_text("$75,000.25")

            # THEN the document downloads byte for byte
            with page.expect_download() as info:
                page.get_by_role("link", name="Download PDF").click()
            assert info.value.path().read_bytes() == PDF
            expect(page.get_by_role("link", name="View PDF")).to_have_attribute("target", "_blank")

            # AND the history shows the change
            page.get_by_role("link", name="History of changes").click()
            change = page.locator("table.changes tr", has_text="salary").first
            expect(change).to_contain_text("68000.00")
            expect(change).to_contain_text("75000.25")
            page.get_by_role("link", name="Mary Jackson").click()

            # WHEN they delete the record after confirming
            page.get_by_role("link", name="Delete employee").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Delete Mary Jackson?")
            page.get_by_role("button", name="Delete employee").click()

            # THEN it is gone from the list and from the store
            expect(page).to_have_url(f"{base}/states/CA")
            expect(page.locator(".flash")).to_contain_text("Employee record deleted")
            expect(page.get_by_text("Jackson")).to_have_count(0)
            assert container.personnel.list_employees("CA").items == []
            page.screenshot(path=str(tmp_path / "after-delete.png"), full_page=True)
        finally:
            browser.close()
