"""Every admin page at a 390 px phone width in real Chromium, with data in each: the page
never scrolls sideways (a wide table scrolls inside its card; long keys and URLs wrap)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import CHROMIUM_ARGS, PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}


def test_no_admin_page_scrolls_sideways_on_a_phone(site):
    from playwright.sync_api import sync_playwright

    base, run, employee = site
    paths = [
        "/monitoring", "/monitoring/checks/ca-employee-listing-heartbeat",
        f"/monitoring/runs/{run.run_id}", "/alarms", "/inbox", "/states/CA",
        "/states/CA/erasures", "/states/CA/compliance", "/audit", "/users", "/account",
        f"/states/CA/employees/{employee.id}/history",
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(base_url=base, viewport=PHONE)
            page.set_default_timeout(15_000)
            page.goto("/login")
            page.get_by_label("Email").fill("admin@example.gov")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(lambda url: "/login" not in url)
            too_wide = {}
            for path in paths:
                response = page.goto(path)
                assert response is not None and response.status == 200, path
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > PHONE["width"]:
                    too_wide[path] = width
            assert too_wide == {}
            # The data is there: the alarm in words, and its URL.
            page.goto("/alarms")
            assert page.locator(".alarm-state.alarm-alarm").first.inner_text() == "ALARM"
            assert page.locator(".nav-badge").inner_text().startswith("1")
            # The monitoring pages' refresh runs under the pages' own CSP, and can be paused.
            page.goto("/monitoring")
            toggle = page.locator(".refresh-toggle")
            assert toggle.inner_text() == "Pause refreshing every 30 s"
            toggle.click()
            assert toggle.get_attribute("aria-pressed") == "true"
            page.reload()
            assert page.get_by_role("button", name="Resume refreshing every 30 s").is_visible()
        finally:
            browser.close()
