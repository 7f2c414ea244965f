"""The add-user form in real headless Chromium, at desktop and phone sizes: one submission
shows every problem at once in a focused summary, keeps what was typed but the password, adds
nobody, and reads well to axe-core; fixed, it goes through."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import CHROMIUM_ARGS, PASSWORD
from tests.e2e.test_accessibility import AXE, SERIOUS, SIZES

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.mark.parametrize("size", SIZES)
def test_adding_a_user_shows_every_error_at_once_then_goes_through(server, size):
    from playwright.sync_api import expect, sync_playwright

    base, container = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            # bypass_csp: the pages forbid scripts, and axe is injected past that.
            page = browser.new_page(base_url=base, viewport=SIZES[size], bypass_csp=True)
            page.set_default_timeout(15_000)
            page.goto("/login?next=/users")
            page.get_by_label("Email").fill("admin@example.gov")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url("**/users")

            # GIVEN the form, whose password field states its limits before anything is sent
            expect(page.locator("#password-hint")).to_contain_text("12 to 1024 characters")

            # WHEN an unknown state and a short password are sent once
            page.get_by_label("Email", exact=True).fill("grace@example.gov")
            page.get_by_label("Role", exact=True).select_option("editor")
            page.get_by_label("State", exact=True).fill("ZZ")
            page.get_by_label("Password", exact=True).fill("too-short")
            page.get_by_role("button", name="Add user").click()

            # THEN both problems are listed at once, the list has focus, and the input is kept
            summary = page.locator(".error-summary")
            expect(summary).to_be_focused()
            expect(summary.get_by_role("listitem")).to_have_count(2)
            expect(summary.get_by_role("link", name="no US state")).to_have_attribute(
                "href", "#state")
            expect(page.locator("#state-error")).to_contain_text("USPS code such as CA")
            expect(page.locator("#password-error")).to_contain_text("12 to 1024 characters")
            expect(page.get_by_label("Email", exact=True)).to_have_value("grace@example.gov")
            expect(page.get_by_label("Role", exact=True)).to_have_value("editor")
            expect(page.get_by_label("State", exact=True)).to_have_value("ZZ")
            expect(page.get_by_label("Password", exact=True)).to_have_value("")
            assert [u.email for u in container.accounts.list_users()] == ["admin@example.gov"]
            page.add_script_tag(path=str(AXE))
            assert page.evaluate(SERIOUS) == []

            # WHEN the state is fixed and the password left to be generated
            page.get_by_label("State", exact=True).fill("CA")
            page.get_by_role("button", name="Add user").click()

            # THEN the user is added as typed the first time, the password shown once
            expect(page.get_by_role("heading", level=1)).to_have_text("Added grace@example.gov")
            added = container.accounts.find_user("grace@example.gov")
            assert (added.role, added.state) == ("editor", "CA")
        finally:
            browser.close()
