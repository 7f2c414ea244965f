"""The real app served over HTTP on 127.0.0.1, for the browser tests."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import pytest

PASSWORD = "a long enough password"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def server(tmp_path):
    """The real app (SQLite + document folder in tmp_path) under uvicorn on a free local port."""
    from humangov.bootstrap import bootstrap
    from humangov.config import Settings
    from humangov.web.app import create_app
    from humangov.web.routes import pages

    container = bootstrap(Settings(environment="test", data_dir=tmp_path / "var", monitoring=False))
    container.provision_all_states()
    container.accounts.add_user("admin@example.gov", PASSWORD, "admin")
    app = create_app(container)
    if not any(getattr(r, "path", None) == "/login" for r in app.routes):
        app.include_router(pages.router)

    with serving(app) as base:
        yield base, container
    container.close()


@contextmanager
def serving(app):
    """`app` under uvicorn on a free local port, for the length of the block; yields its URL."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # handing uvicorn the bound socket leaves no port race
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
