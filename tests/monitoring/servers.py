"""Real HTTP servers on 127.0.0.1 for the monitoring tests: a Starlette app under uvicorn in a
thread, started and stopped by the test."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Announcing(uvicorn.Server):
    """Sets `ready` once its start-up is over, listening or failed (then `started` is False)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()


@contextmanager
def running(config: uvicorn.Config, sockets: list[socket.socket] | None = None) -> Iterator[None]:
    """uvicorn in a thread, listening when the block starts, stopped when it ends."""
    server = _Announcing(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": sockets}, daemon=True)
    thread.start()
    # The timeout only turns a hang into a failure; start-up sets `ready` either way.
    if not (server.ready.wait(30) and server.started):
        raise RuntimeError("test server did not start")
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def serve(app):
    """Yields the base URL; the server stops when the block ends."""
    port = free_port()
    with running(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error",
                                lifespan="off")):
        yield f"http://127.0.0.1:{port}"


def refused_url() -> str:
    """A URL on a port nothing listens on."""
    return f"http://127.0.0.1:{free_port()}/"
