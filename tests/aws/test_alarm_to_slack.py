"""The alarm Lambda: SNS-delivered CloudWatch alarm -> the shared Slack message -> a webhook."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from humangov.aws import alarm_to_slack
from humangov.monitoring.alarms.messages import build_slack_message

EVENT = json.loads(
    (Path(__file__).resolve().parent.parent / "events" / "sns_cloudwatch_alarm.json").read_text()
)


@pytest.fixture
def slack(monkeypatch):
    """A local Slack webhook: records each posted body; answers `status`."""
    posted: list[dict] = []
    state = {"status": 200}

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            posted.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(state["status"])
            self.end_headers()
            self.wfile.write(b"ok" if state["status"] == 200 else b"no_service")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(alarm_to_slack, "_url", None)
    url = f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/secret-part"
    yield posted, state, url
    server.shutdown()
    server.server_close()


def test_a_cloudwatch_alarm_is_posted_as_the_shared_slack_message(slack, monkeypatch):
    posted, _, url = slack
    monkeypatch.setenv("HUMANGOV_SLACK_WEBHOOK_URL", url)
    monkeypatch.delenv("HUMANGOV_SLACK_SECRET_ID", raising=False)
    assert alarm_to_slack.handler(EVENT) == {"posted": 1}
    alarm = json.loads(EVENT["Records"][0]["Sns"]["Message"])
    [body] = posted
    assert body == build_slack_message(alarm_to_slack.alarm_event(alarm))
    assert body["text"].startswith("[ALARM] humangov-CA-api-flow is in ALARM")
    event = alarm_to_slack.alarm_event(alarm)
    assert (event.tenant, event.old_state) == ("CA", "OK")
    assert event.since.isoformat() == "2026-01-01T12:00:00+00:00"


def test_the_webhook_url_comes_from_secrets_manager(slack, aws_local, monkeypatch):
    posted, _, url = slack
    monkeypatch.delenv("HUMANGOV_SLACK_WEBHOOK_URL", raising=False)
    aws_local.clients.get("secretsmanager").create_secret(
        Name="humangov/slack", SecretString=json.dumps({"url": url})
    )
    monkeypatch.setenv("HUMANGOV_SLACK_SECRET_ID", "humangov/slack")
    assert alarm_to_slack.handler(EVENT) == {"posted": 1}
    assert len(posted) == 1


def test_a_refused_post_fails_the_invocation_without_revealing_the_url(slack, monkeypatch, caplog):
    _, state, url = slack
    state["status"] = 404
    monkeypatch.setenv("HUMANGOV_SLACK_WEBHOOK_URL", url)
    monkeypatch.delenv("HUMANGOV_SLACK_SECRET_ID", raising=False)
    with pytest.raises(alarm_to_slack.DeliveryFailed) as caught:
        alarm_to_slack.handler(EVENT)
    assert "404" in str(caught.value)
    assert "secret-part" not in str(caught.value) and "secret-part" not in caplog.text
