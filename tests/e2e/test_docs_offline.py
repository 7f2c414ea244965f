"""The API docs work on a machine without internet access: Swagger UI and Redoc come from
the app itself. The browser is cut off from every other origin; any attempt to reach one is
recorded and fails the test."""

from __future__ import annotations

import urllib.parse

import pytest

from tests.e2e.conftest import CHROMIUM_ARGS

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_swagger_ui_and_redoc_render_with_the_network_cut_off(server):
    from playwright.sync_api import expect, sync_playwright

    base, _container = server
    own = urllib.parse.urlsplit(base).netloc
    elsewhere: list[str] = []

    def only_the_app(route):
        url = route.request.url
        if urllib.parse.urlsplit(url).netloc == own or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort("internetdisconnected")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=base)
            context.route("**/*", only_the_app)
            page = context.new_page()
            page.set_default_timeout(15_000)
            failures: list[str] = []
            page.on("requestfailed", lambda r: failures.append(r.url))

            # Swagger UI lists the operations, read from /openapi.json
            page.goto("/docs")
            expect(page.locator(".swagger-ui .info .title")).to_contain_text("HumanGov")
            # (Swagger UI breaks paths with zero-width spaces; data-path keeps them whole)
            employees = '.opblock-summary-path[data-path="/api/v1/states/{code}/employees"]'
            expect(page.locator(employees).first).to_be_visible()

            # Redoc renders the same document
            page.goto("/redoc")
            expect(page.locator("h1", has_text="HumanGov")).to_be_visible()
            expect(page.get_by_text("/api/v1/states/{code}/employees").first).to_be_attached()
        finally:
            browser.close()

    assert elsewhere == []
    # Every asset of the app loaded. (Redoc's footer links a logo on its CDN; the page's
    # content security policy stops it before it reaches the network.)
    assert [url for url in failures if urllib.parse.urlsplit(url).netloc == own] == []
