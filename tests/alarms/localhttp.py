"""Local HTTP stand-ins for the alarm tests and benchmark: a Slack-compatible receiver that can
be told to fail for a while, and a target that can be stopped and started on the same port.
Both bind 127.0.0.1 only."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


class SlackReceiver:
    """Answers like a Slack incoming webhook (200 "ok"), unless `script` says otherwise.
    `script` is a list of (status, body, headers) answers used first, in order."""

    def __init__(self, port: int = 0) -> None:
        self.messages: list[dict] = []  # accepted ones, with "_received" (time.time())
        self.attempts = 0
        self.pings = 0  # GETs, for the dead-man's-switch
        self.script: list[tuple[int, str, dict]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):
                with receiver._lock:
                    receiver.pings += 1
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver._lock:
                    receiver.attempts += 1
                    answer = receiver.script.pop(0) if receiver.script else (200, "ok", {})
                    if answer[0] == 200:
                        message = json.loads(body or b"{}")
                        message["_received"] = time.time()
                        message["_path"] = self.path
                        receiver.messages.append(message)
                status, text, headers = answer
                payload = text.encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("content-type", "text/plain")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = _Server(("127.0.0.1", port), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/services/T000/B000/XXXXSECRET"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def texts(self) -> list[str]:
        with self._lock:
            return [m.get("text", "") for m in self.messages]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class Target:
    """A tiny app answering 200 on every GET, stoppable and restartable on one port."""

    def __init__(self, port: int = 0) -> None:
        self._server: _Server | None = None
        self.port = port
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/healthz"

    def start(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self._server = _Server(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
