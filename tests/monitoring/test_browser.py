"""The browser canary in real Chromium against a small real HTML app shaped like HumanGov's UI.
(The lead's end-to-end suite runs it against the real app.)"""

from __future__ import annotations

import os
import stat
import uuid
import zipfile
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Route

from tests.monitoring.helpers import one_check, run
from tests.monitoring.servers import serve

pytestmark = [
    pytest.mark.slow, pytest.mark.browser,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(),
                       reason="Debian chromium is not installed at /usr/bin/chromium "
                              "(make system-deps)"),
]


SESSION_COOKIE = "session-cookie-value-5f2b9c"


def page(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><html><body>{body}</body></html>", status)


def ui(password: str, *, ignored_deletes: int = 0):
    people: dict[str, dict] = {}
    ignore = [ignored_deletes]
    synthetic_headers: list[str] = []

    async def login(request):
        if request.method == "POST":
            form = await request.form()
            if form.get("password") == password and form.get("csrf_token") == "tok":
                response = RedirectResponse("/states", 303)
                response.set_cookie("s", SESSION_COOKIE)
                return response
            return page("<p>Wrong email or password.</p>", 400)
        return page('<form method="post" action="/login">'
                    '<input type="hidden" name="csrf_token" value="tok">'
                    '<input name="email"><input name="password" type="password">'
                    '<button type="submit">Log in</button></form>')

    def state(request):
        rows = "".join(
            f'<a href="/states/CA/employees/{i}">{p["last"]}</a>' for i, p in people.items()
        )
        return page(f'<h1>California</h1><a href="/states/CA/employees/new">Add employee</a>{rows}')

    async def new(request):
        if request.method == "POST":
            form = await request.form()
            pdf = await form["document"].read()
            assert pdf.startswith(b"%PDF-")
            synthetic_headers.append(request.headers.get("x-humangov-synthetic", ""))
            eid = str(uuid.uuid4())
            people[eid] = {"last": form["last_name"]}
            return RedirectResponse(f"/states/CA/employees/{eid}", 303)
        return page('<form method="post" enctype="multipart/form-data">'
                    '<input name="first_name"><input name="last_name"><input name="role">'
                    '<input name="salary"><input type="file" name="document">'
                    '<button type="submit">Add employee</button></form>')

    def detail(request):
        eid = request.path_params["eid"]
        if eid not in people:
            return page("<p>Not found</p>", 404)
        return page(f'<h1>{people[eid]["last"]}</h1>'
                    f'<a href="/states/CA/employees/{eid}/delete">Delete employee</a>')

    async def delete(request):
        eid = request.path_params["eid"]
        if request.method == "POST":
            if ignore[0]:  # a broken delete: answers as if done, keeps the record
                ignore[0] -= 1
            else:
                people.pop(eid, None)
            return RedirectResponse("/states/CA", 303)
        return page(
            f'<h1>Delete?</h1><form method="post" action="/states/CA/employees/{eid}/delete">'
            '<button type="submit">Delete employee</button></form>'
        )

    app = Starlette(routes=[
        Route("/login", login, methods=["GET", "POST"]),
        Route("/states", lambda r: page('<a href="/states/CA">CA</a>')),
        Route("/states/CA", state),
        Route("/states/CA/employees/new", new, methods=["GET", "POST"]),
        Route("/states/CA/employees/{eid}", detail),
        Route("/states/CA/employees/{eid}/delete", delete, methods=["GET", "POST"]),
    ])
    return app, people, synthetic_headers


def browser_check(base):
    return one_check(name="browser", type="browser", base_url=base, state="CA",
                     email="canary@humangov.local", password_env="TEST_CANARY_PASSWORD",
                     interval="5m", timeout="60s")


async def test_the_browser_canary_logs_in_adds_and_deletes_an_employee(
    tmp_path, clients, monkeypatch
):
    monkeypatch.setenv("TEST_CANARY_PASSWORD", "correct horse")
    app, people, synthetic = ui("correct horse")
    with serve(app) as base:
        result = await run(browser_check(base), clients, tmp_path)
    assert result.status == "ok", result.error
    assert [s.name for s in result.steps] == [
        "login", "open-state", "add-employee", "delete-employee"]
    assert people == {} and synthetic == ["1"]
    names = sorted(Path(p).name for p in result.artifacts)
    assert names == [
        "01-login.png", "02-open-state.png", "03-add-employee.png", "04-delete-employee.png"]
    # The run is over: reading its screenshots here blocks nothing else.
    shots = [Path(p).read_bytes() for p in result.artifacts]  # noqa: ASYNC240
    assert all(shot.startswith(b"\x89PNG") for shot in shots)


async def test_a_failed_login_fails_the_run_and_keeps_its_screenshot(
    tmp_path, clients, monkeypatch
):
    monkeypatch.setenv("TEST_CANARY_PASSWORD", "wrong password")
    app, _, _ = ui("correct horse")
    with serve(app) as base:
        result = await run(browser_check(base), clients, tmp_path)
    assert result.status == "fail" and result.failing_step == "login"
    assert "wrong password" not in result.error
    assert {Path(p).name for p in result.artifacts} == {"01-login.png"}


def _contents(path: Path) -> list[bytes]:
    """The file's bytes, and each member's if it is a zip (a Playwright trace is one)."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return [archive.read(name) for name in archive.namelist()]
    return [path.read_bytes()]


async def test_a_failed_run_leaves_no_secret_in_its_artifacts_and_keeps_them_private(
    tmp_path, clients, monkeypatch
):
    # GIVEN a run that fails after logging in (typed password, session cookie), umask 022
    monkeypatch.setenv("TEST_CANARY_PASSWORD", "correct horse battery")
    app, _, _ = ui("correct horse battery", ignored_deletes=1)
    old = os.umask(0o022)
    try:
        with serve(app) as base:
            result = await run(browser_check(base), clients, tmp_path / "artifacts")
    finally:
        os.umask(old)
    assert result.status == "fail" and result.artifacts
    # THEN no file holds the password or the cookie, files are 0600 and folders 0700
    files = [p for p in (tmp_path / "artifacts").rglob("*") if p.is_file()]
    assert files
    for path in files:
        for blob in _contents(path):
            assert b"correct horse battery" not in blob, path
            assert SESSION_COOKIE.encode() not in blob, path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for folder in [tmp_path / "artifacts", *(p for p in (tmp_path / "artifacts").rglob("*")
                                              if p.is_dir())]:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


async def test_a_run_that_fails_after_adding_still_deletes_its_employee(
    tmp_path, clients, monkeypatch
):
    # GIVEN an app whose first delete is silently ignored
    monkeypatch.setenv("TEST_CANARY_PASSWORD", "correct horse")
    app, people, _ = ui("correct horse", ignored_deletes=1)
    with serve(app) as base:
        result = await run(browser_check(base), clients, tmp_path)
    # THEN the run fails at the delete step, and its clean-up removed the record anyway
    assert result.status == "fail" and result.failing_step == "delete-employee"
    assert "still answers 200" in result.error
    assert people == {}
