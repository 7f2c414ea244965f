"""Every page, at desktop and phone sizes, in real Chromium, checked by axe-core (installed
by `make test` from npm): no serious or critical accessibility violation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM_ARGS, PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.browser]

AXE = Path(__file__).parents[1] / "infra" / "browser_canary" / "node_modules" / "axe-core" / \
    "axe.min.js"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# What axe reports, reduced to what a reader of a failure needs.
SERIOUS = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3)
        .map(n => n.target.join(" ")).join(", ")}`)"""


@pytest.mark.parametrize("size", SIZES)
def test_no_page_has_a_serious_accessibility_violation(site, size):
    from playwright.sync_api import sync_playwright

    base, run, employee = site
    paths = [
        "/", "/states/CA", f"/states/CA/employees/{employee.id}",
        f"/states/CA/employees/{employee.id}/history", f"/states/CA/employees/{employee.id}/edit",
        f"/states/CA/employees/{employee.id}/delete", "/states/CA/employees/new",
        "/states/CA/erasures", "/states/CA/compliance", "/monitoring",
        "/monitoring/checks/ca-employee-listing-heartbeat", f"/monitoring/runs/{run.run_id}",
        "/alarms", "/inbox", "/audit", "/users", "/account", "/states/CA/retention",
        f"/states/CA/employees/{employee.id}/separate", "/states/CA/holds", "/states/CA/requests",
        "/states/CA?separated=true",
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            # The pages forbid scripts (CSP); axe is the test's own, injected past it.
            page = browser.new_context(base_url=base, viewport=SIZES[size],
                                       bypass_csp=True).new_page()
            page.set_default_timeout(15_000)
            found = {}

            def check(path: str) -> None:
                page.add_script_tag(path=str(AXE))
                if violations := page.evaluate(SERIOUS):
                    found[path] = violations

            page.goto("/login")
            check("/login")
            page.get_by_label("Email").fill("admin@example.gov")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(lambda url: "/login" not in url)
            for path in paths:
                response = page.goto(path)
                assert response is not None and response.status == 200, path
                check(path)
            # A form with every error shown is a page people must be able to read too.
            page.goto("/states/CA/employees/new")
            page.get_by_role("button", name="Add employee").click()
            check("/states/CA/employees/new (errors)")
            assert found == {}
        finally:
            browser.close()
