"""Fixtures for the page tests: one real app (SQLite + document folder in a temp dir) per
module, and one logged-in browser-like client per kind of user.

Logging in costs an argon2 verify per user, so the clients live for the module; each test
adds the employees it needs."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from humangov.bootstrap import bootstrap
from humangov.config import Settings
from humangov.web.app import create_app
from humangov.web.routes import pages
from tests.conftest import PDF

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def web_app(container):
    app = create_app(container)
    if not any(getattr(r, "path", None) == "/login" for r in app.routes):
        app.include_router(pages.router)  # until app.py mounts the pages itself
    return app


def log_in(client: TestClient, email: str, password: str = PASSWORD):
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


@dataclass
class Users:
    admin: TestClient
    ca_editor: TestClient
    ca_viewer: TestClient
    tx_editor: TestClient
    nobody: TestClient
    ca_state_admin: TestClient


@pytest.fixture(scope="module")
def web_container(tmp_path_factory):
    data = tmp_path_factory.mktemp("web")
    c = bootstrap(
        Settings(
            environment="test",
            data_dir=data,
            monitoring=False,
            max_document_bytes=64 * 1024,
            login_attempts_per_minute=3,
        )
    )
    for code in ("CA", "TX"):
        c.personnel.add_state(code)
    for email, role, state in (
        ("admin@example.gov", "admin", None),
        ("ca.editor@example.gov", "editor", "CA"),
        ("ca.viewer@example.gov", "viewer", "CA"),
        ("tx.editor@example.gov", "editor", "TX"),
        ("ca.admin@example.gov", "state-admin", "CA"),
    ):
        c.accounts.add_user(email, PASSWORD, role, state)
    yield c
    c.close()


@pytest.fixture(scope="module")
def users(web_container):
    app = web_app(web_container)
    clients = []

    def client(email=None):
        c = TestClient(app, raise_server_exceptions=False)
        c.__enter__()
        clients.append(c)
        if email:
            assert log_in(c, email).status_code == 303
        return c

    yield Users(
        client("admin@example.gov"),
        client("ca.editor@example.gov"),
        client("ca.viewer@example.gov"),
        client("tx.editor@example.gov"),
        client(),
        client("ca.admin@example.gov"),
    )
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def add_employee(web_container):
    """Add an employee straight through the use case (the pages under test are elsewhere)."""
    import io

    def add(state="CA", **fields):
        values = {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "role": "Analyst",
            "salary": "85000",
        }
        values.update(fields)
        return web_container.personnel.add_employee(state, values, io.BytesIO(PDF), "user:test")

    return add


def form_post(client: TestClient, page: str, action: str | None = None, files=None, **data):
    """GET the page (for its CSRF token), then POST the form, as a browser would."""
    r = client.get(page)
    assert r.status_code == 200, r.text
    data.setdefault("csrf_token", csrf_of(r.text))
    return client.post(action or page, data=data, files=files, follow_redirects=False)
