"""`browser`: a user's session in real Chromium (Debian's /usr/bin/chromium, never a
downloaded one): log in, open a state, add an employee with a PDF, delete it.

UI contract it relies on (HumanGov's own pages):
- /login: a form with inputs `email` and `password` and a submit button;
- /states/{code}: the state's page, with a link or button whose text contains "Add"
  leading to (or itself being) a form with first_name, last_name, role, salary, document;
- after adding, the employee's page or the list shows the name; a "Delete" link or button
  leads to a confirmation page whose submit button deletes.
A screenshot is saved per step (0600 files in a 0700 folder). No Playwright trace is kept:
a trace records typed values, request bodies and cookies, that is the canary's password and
session (https://playwright.dev/python/docs/api/class-tracing).
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

from humangov.monitoring.checks.base import CheckFailed, execute, step
from humangov.monitoring.checks.pdf import canary_pdf
from humangov.monitoring.config import BrowserCheck
from humangov.monitoring.http import Clients
from humangov.monitoring.results import RunContext, RunResult
from humangov.private_files import private_file

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
ACTION_TIMEOUT_MS = 15_000
log = logging.getLogger(__name__)


async def run(check: BrowserCheck, clients: Clients, ctx: RunContext, **kw) -> RunResult:
    return await execute(
        check, ctx, lambda: _body(check, clients.secret(check.password_env), ctx), **kw
    )


async def _body(check: BrowserCheck, password: str, ctx: RunContext) -> None:
    from playwright.async_api import async_playwright  # heavy; only browser runs pay for it

    if not password:
        raise CheckFailed(
            f"environment variable {check.password_env} is not set (the canary's password)"
        )
    # One stat of a local file before launching Chromium, which takes far longer anyway.
    if not Path(check.executable_path).exists():  # noqa: ASYNC240
        raise CheckFailed(f"no browser at {check.executable_path}; install Debian's chromium")
    base = check.base_url.rstrip("/")
    last_name = f"Canary-{ctx.run_id[-8:]}"
    failed = True
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=check.executable_path, args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(extra_http_headers={"X-HumanGov-Synthetic": "1"})
            context.set_default_timeout(ACTION_TIMEOUT_MS)
            page = await context.new_page()
            try:
                await _steps(check, ctx, page, base, password, last_name)
                failed = False
            finally:
                if failed:
                    await _clean_up(page, base, ctx)
                await context.close()
        finally:
            await browser.close()


async def _clean_up(page, base: str, ctx: RunContext) -> None:
    """A run that failed after adding its employee deletes it through the same confirmation
    form, so failed runs leave no records or documents behind. Best effort, and shielded: a
    hard timeout is what most often interrupts the delete step."""
    async def delete(state_and_id: str) -> None:
        state, employee_id = state_and_id.split("/", 1)
        response = await page.goto(f"{base}/states/{state}/employees/{employee_id}/delete")
        if response is not None and response.status == 200:
            await _submit(page, page.locator("form[action$='/delete']"))

    for created in ctx.synthetic_ids:
        try:
            await asyncio.wait_for(asyncio.shield(delete(created)), 10)
        except Exception:  # cleanup must never mask the run's own failure
            log.warning("could not clean up canary employee %s", created, exc_info=True)


async def _shot(ctx: RunContext, page, name: str) -> None:
    # Taken after the step is recorded, so the count is this step's number.
    path = ctx.run_dir() / f"{len(ctx.steps):02d}-{name}.png"
    try:
        private_file(path)
        await page.screenshot(path=str(path), full_page=True)
        ctx.add_artifact(path)
    except Exception:
        log.warning("could not take screenshot %s", path.name, exc_info=True)


async def _steps(
    check: BrowserCheck, ctx: RunContext, page, base: str, password: str, last_name: str
) -> None:
    async def stepped(name: str, action):
        try:
            async with step(ctx, name):
                await action()
        finally:
            await _shot(ctx, page, name)

    async def login():
        await _goto(page, f"{base}/login")
        await page.fill("input[name=email]", check.email)
        await page.fill("input[name=password]", password)
        await _submit(page, page.locator("form:has(input[name=password])"))
        if "/login" in page.url:
            raise CheckFailed("still on the login page after signing in (wrong email or password?)")

    async def open_state():
        await _goto(page, f"{base}/states/{check.state}")

    async def add():
        form = page.locator("form:has(input[name=first_name])")
        if await form.count() == 0:
            await page.get_by_role("link", name=re.compile("add", re.IGNORECASE)).or_(
                page.get_by_role("button", name=re.compile("add", re.IGNORECASE))).first.click()
            await page.wait_for_load_state()
            form = page.locator("form:has(input[name=first_name])")
        await form.locator("input[name=first_name]").fill("Synthetic")
        await form.locator("input[name=last_name]").fill(last_name)
        await form.locator("[name=role]").fill("Canary")
        await form.locator("input[name=salary]").fill("1.00")
        await form.locator("input[name=document]").set_input_files(
            files=[{"name": "canary.pdf", "mimeType": "application/pdf",
                    "buffer": canary_pdf(ctx.run_id)}]
        )
        await _submit(page, form)
        await _expect_text(page, last_name, "the new employee is not shown after adding")
        ctx.synthetic_ids.append(f"{check.state}/{page.url.rstrip('/').rsplit('/', 1)[-1]}")

    employee_url: list[str] = []

    async def delete():
        if "/employees/" in page.url:
            employee_url.append(page.url.split("?")[0])
        else:  # the app showed the list: open the new employee's page
            await page.get_by_role("link", name=re.compile(last_name)).first.click()
            await page.wait_for_load_state()
            employee_url.append(page.url.split("?")[0])
        await page.get_by_role("link", name=re.compile("delete", re.IGNORECASE)).or_(
            page.get_by_role("button", name=re.compile("delete", re.IGNORECASE))).first.click()
        await page.wait_for_load_state()
        confirm = page.get_by_role("button", name=re.compile("delete|confirm", re.IGNORECASE))
        if await confirm.count() > 0:  # the confirmation page
            await _submit_with(page, confirm.first)
        gone = await page.goto(employee_url[0])
        if gone is None or gone.status != 404:
            answer = gone.status if gone else "nothing"
            raise CheckFailed(f"the employee's page still answers {answer} after deleting")

    await stepped("login", login)
    await stepped("open-state", open_state)
    await stepped("add-employee", add)
    await stepped("delete-employee", delete)


async def _goto(page, url: str) -> None:
    response = await page.goto(url)
    if response is None or response.status >= 400:
        status = response.status if response is not None else "no response"
        raise CheckFailed(f"{url.split('://', 1)[-1].split('/', 1)[-1] or '/'} answered {status}")


async def _submit(page, form) -> None:
    await _submit_with(
        page, form.locator("button[type=submit], input[type=submit], button:not([type])").first
    )


async def _submit_with(page, button) -> None:
    async with page.expect_navigation():
        await button.click()
    await page.wait_for_load_state()


async def _expect_text(page, text: str, problem: str) -> None:
    try:
        await page.get_by_text(text).first.wait_for(timeout=5_000)
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError and friends all mean "not shown"
        raise CheckFailed(problem) from None
