"""What the flow tests share: one Chromium per module, and a tab that logs in as someone and
checks each page it reaches with axe-core (and, on a phone, that it never scrolls sideways)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from tests.e2e.conftest import CHROMIUM_ARGS, PASSWORD, serving
from tests.e2e.test_accessibility import AXE, SERIOUS, SIZES


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def served(container, canaries=None):
    """The app over `container` (and `canaries`' pages) under uvicorn; yields its URL."""
    from humangov.web.app import create_app
    from humangov.web.routes import pages

    app = create_app(container, canaries=canaries)
    if not any(getattr(r, "path", None) == "/login" for r in app.routes):
        app.include_router(pages.router)
    with serving(app) as base:
        yield base


class Tab:
    """One logged-in browser tab at a viewport size. `problems` collects, per page, axe's
    serious and critical violations and a phone page's sideways scroll."""

    def __init__(self, page, size: str) -> None:
        self.page, self.size = page, size
        self.problems: dict[str, object] = {}

    def follow(self, target) -> None:
        """Click a link or a form's button and wait for the page it leads to, so what is read
        next is read from that page (a click returns before the navigation it starts)."""
        with self.page.expect_navigation():
            target.click()

    def checked(self) -> None:
        where = self.page.url
        self.page.add_script_tag(path=str(AXE))  # the pages' CSP is bypassed for it alone
        if violations := self.page.evaluate(SERIOUS):
            self.problems[where] = violations
        width = self.page.evaluate("document.documentElement.scrollWidth")
        if width > SIZES[self.size]["width"]:
            self.problems[f"{where} (scrolls sideways)"] = width

    def log_in(self, email: str) -> None:
        page = self.page
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        self.checked()


@contextmanager
def tab(browser, base: str, size: str, email: str):
    context = browser.new_context(base_url=base, viewport=SIZES[size], bypass_csp=True)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        opened = Tab(page, size)
        opened.log_in(email)
        yield opened
    finally:
        context.close()
