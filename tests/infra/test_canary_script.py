"""The canary script is generated from the monitoring YAML and, run against a real HTTP server
on 127.0.0.1, passes when the service works and fails naming the check when it does not."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from humangov_infra import canary
from humangov_infra.config import InfraConfigError

from tests.infra.conftest import INFRA


class FakeHumanGov(BaseHTTPRequestHandler):
    """Just enough of the API for the canary: health, one employee's lifecycle, the ledger."""

    health = 200
    erase = True
    employees: ClassVar[dict[str, bytes]] = {}
    receipts: ClassVar[list[dict]] = []
    seen_tokens: ClassVar[list[str]] = []

    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        cls = type(self)
        path = self.path.split("?")[0]
        if path == "/healthz":
            return self._send(cls.health, b'{"status":"ok"}')
        cls.seen_tokens.append(self.headers.get("Authorization", ""))
        if path.endswith("/erasures"):
            return self._send(200, json.dumps({"items": cls.receipts}).encode())
        match = re.fullmatch(r"/api/v1/states/CA/employees/(\w+)(/document)?", path)
        if match and match.group(1) in cls.employees:
            if match.group(2):
                return self._send(200, cls.employees[match.group(1)], "application/pdf")
            return self._send(200, json.dumps({"id": match.group(1)}).encode())
        self._send(404)

    def do_POST(self):
        cls = type(self)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        pdf = body[body.index(b"%PDF"):body.index(b"%%EOF\n") + 6]
        employee_id = f"e{len(cls.employees) + 1}"
        cls.employees[employee_id] = pdf
        self._send(201, json.dumps({"id": employee_id}).encode())

    def do_DELETE(self):
        cls = type(self)
        employee_id = self.path.rsplit("/", 1)[1]
        cls.employees.pop(employee_id, None)
        if cls.erase:
            cls.receipts.append({"key": f"{employee_id}/d1.pdf", "result": "erased"})
        self._send(204)


@pytest.fixture
def server():
    FakeHumanGov.health, FakeHumanGov.erase = 200, True
    FakeHumanGov.employees, FakeHumanGov.receipts, FakeHumanGov.seen_tokens = {}, [], []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeHumanGov)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _script(*, lifecycle: bool, sla: str = "2s") -> dict:
    source = canary.render_file(INFRA / "canary-checks.yaml", lifecycle=lifecycle)
    source = source.replace('"erasure_sla": 30.0', f'"erasure_sla": {canary.seconds(sla, "sla")}')
    namespace: dict = {"__name__": "humangov_canary"}
    # The generated file is what Synthetics imports; run exactly that text.
    exec(compile(source, "humangov_canary.py", "exec"), namespace)
    return namespace


def test_the_generated_script_carries_the_checks_from_the_yaml():
    source = canary.render_file(INFRA / "canary-checks.yaml", lifecycle=True)
    assert '"paths": [\n            "/healthz"\n        ]' in source
    assert '"type": "lifecycle"' in source
    compile(source, "humangov_canary.py", "exec")


def test_the_heartbeat_passes_against_a_healthy_service(server):
    script = _script(lifecycle=False)
    assert script["run_all"](server, "CA", lambda: "unused") == "1 checks passed"


def test_the_heartbeat_fails_naming_the_check_and_the_status(server):
    FakeHumanGov.health = 503
    script = _script(lifecycle=False)
    with pytest.raises(script["CheckFailed"], match=r"heartbeat: GET /healthz returned 503"):
        script["run_all"](server, "CA", lambda: "unused")


def test_the_lifecycle_creates_verifies_deletes_and_finds_the_erasure_receipt(server):
    script = _script(lifecycle=True)
    assert script["run_all"](server, "CA", lambda: "tok-123") == "2 checks passed"
    assert FakeHumanGov.employees == {}
    assert set(FakeHumanGov.seen_tokens) == {"Bearer tok-123"}


def test_the_lifecycle_fails_when_no_receipt_appears_within_the_sla(server):
    FakeHumanGov.erase = False
    script = _script(lifecycle=True, sla="300ms")
    with pytest.raises(script["CheckFailed"], match="lifecycle: no erasure receipt within the SLA"):
        script["run_all"](server, "CA", lambda: "tok-123")


def test_a_check_file_without_a_heartbeat_is_refused():
    with pytest.raises(InfraConfigError, match="no heartbeat check"):
        canary.canary_checks({"checks": [{"name": "x", "type": "lifecycle"}]}, lifecycle=True)


def test_the_aws_check_file_is_a_valid_local_monitoring_file():
    from humangov.monitoring.config import load_config

    kinds = [c.type for c in load_config(INFRA / "canary-checks.yaml").checks]
    assert kinds == ["heartbeat", "lifecycle", "browser"]


def test_the_browser_canary_runs_as_often_as_its_checks_ask_within_a_run_per_schedule():
    checks = canary.browser_checks({"checks": [
        {"name": "ui", "type": "browser", "interval": "10m", "timeout": "90s"},
        {"name": "ui2", "type": "browser", "interval": "5m", "timeout": "4m"},
        {"name": "beat", "type": "heartbeat", "url": "http://x/healthz"},
    ]})
    assert [c["name"] for c in checks] == ["ui", "ui2"]
    assert canary.browser_timing(checks) == (300, 300)
    assert canary.browser_timing(checks[:1]) == (600, 90)


def test_the_browser_script_carries_its_checks_and_no_other():
    source = canary.render_browser(canary.browser_checks(canary.load(INFRA / "canary-checks.yaml")))
    assert '"name": "browser"' in source and '"action_timeout_ms": 15000' in source
    checks = source.split("const CHECKS = ", 1)[1].split("\n];\n", 1)[0]
    assert "heartbeat" not in checks and "lifecycle" not in checks
