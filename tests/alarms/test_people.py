"""Alarms people notice, through the real app: ALARM in colour and words, a badge in the
navigation, the failing URL on every page and in Slack; acknowledge and silence from the
Alarms page, audited and announced to a local Slack-compatible receiver."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from humangov.adapters.notifiers.inbox import InboxTransport
from humangov.bootstrap import bootstrap
from humangov.bootstrap.canaries import monitoring
from humangov.config import Settings
from humangov.domain import audit
from humangov.monitoring.alarms.messages import AlarmEvent
from humangov.monitoring.alarms.store import AlarmStore
from humangov.monitoring.config import parse_config
from humangov.monitoring.results import RunResult, StepResult, new_run_id
from humangov.web.app import create_app
from humangov.web.routes import pages
from tests.web.conftest import PASSWORD, csrf_of, log_in

TARGET = "http://127.0.0.1:9/healthz"


def wait_for(predicate, what: str, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def run_of(ok: bool) -> RunResult:
    now = datetime.now(UTC)
    step = StepResult("request", "ok" if ok else "fail", 12.0, "" if ok else "connection refused")
    return RunResult(check="web", check_type="heartbeat", status="ok" if ok else "fail",
                     started_at=now, duration_ms=12.0, steps=(step,),
                     error="" if ok else "connection refused",
                     failing_step=None if ok else "request", run_id=new_run_id(now))


@pytest.fixture
def site(tmp_path, receiver):
    settings = Settings(environment="test", data_dir=tmp_path, monitoring=False,
                        slack_webhook_url=receiver.url)
    container = bootstrap(settings)
    container.accounts.add_user("admin@example.gov", PASSWORD, "admin")
    config = parse_config({"checks": [{"name": "web", "type": "heartbeat", "url": TARGET,
                                       "state": "CA", "alarm": {"failures_in_a_row": 1}}]})
    canaries = monitoring(settings, config)
    app = create_app(container, services=[canaries.alarms], canaries=canaries)
    if not any(getattr(r, "path", None) == "/login" for r in app.routes):
        app.include_router(pages.router)
    with TestClient(app) as client:
        assert log_in(client, "admin@example.gov").status_code == 303
        yield client, canaries, container
    canaries.alarms.store.close()
    container.close()


def fail_once(client, canaries) -> RunResult:
    run = run_of(ok=False)
    canaries.store.save(run)
    check = canaries.config.checks[0]
    client.portal.call(canaries.alarms.on_result, check, run)
    return run


def test_an_alarm_is_shown_in_colour_and_words_with_its_url_everywhere(site, receiver):
    client, canaries, _ = site
    # WHEN the check fails (one failure raises the ALARM here)
    run = fail_once(client, canaries)
    # THEN Slack names the failing URL
    wait_for(lambda: receiver.texts(), "the ALARM message")
    assert receiver.texts()[0].startswith("[ALARM] web")
    assert "Target" in str(receiver.messages[0]["blocks"]) and TARGET in str(receiver.messages[0])
    # AND the Alarms page marks the row in words and colour, with the buttons
    page = client.get("/alarms").text
    assert 'class="row-alarm"' in page and 'alarm-state alarm-alarm">ALARM<' in page
    assert 'action="/alarms/web/acknowledge"' in page and 'action="/alarms/web/silence"' in page
    # AND every page's navigation counts it
    assert 'class="nav-badge">1<' in client.get("/states").text
    # AND the monitoring pages show ALARM and the URL, and refresh on their own
    for path in ("/monitoring", "/monitoring/checks/web", f"/monitoring/runs/{run.run_id}"):
        html = client.get(path).text
        assert TARGET in html and '<meta name="humangov-refresh" content="30">' in html, path
    assert "ALARM</span>" in client.get("/monitoring").text
    assert "Failing target" in client.get(f"/monitoring/runs/{run.run_id}").text
    # AND the inbox too
    wait_for(lambda: "failing target" in client.get("/inbox").text, "the inbox entry")
    assert "humangov-refresh" not in client.get("/alarms").text  # forms: never reloaded


def test_acknowledge_and_silence_are_audited_announced_and_mute(site, receiver):
    client, canaries, container = site
    fail_once(client, canaries)
    wait_for(lambda: len(receiver.messages) == 1, "the ALARM message")
    token = csrf_of(client.get("/alarms").text)

    # WHEN an admin acknowledges the alarm
    answer = client.post("/alarms/web/acknowledge", data={"csrf_token": token},
                         follow_redirects=False)
    # THEN Slack hears a short follow-up naming who, and the audit log keeps it
    assert answer.status_code == 303
    wait_for(lambda: len(receiver.messages) == 2, "the acknowledgement")
    assert receiver.texts()[1] == "[ACK] web acknowledged by user:admin@example.gov"
    assert len(receiver.messages[1]["blocks"]) == 1
    page = client.get("/alarms").text
    assert "acknowledged by admin@example.gov" in page and "/alarms/web/acknowledge" not in page

    # WHEN they silence it for an hour
    client.post("/alarms/web/silence", data={"csrf_token": token, "duration": "1h"})
    wait_for(lambda: len(receiver.messages) == 3, "the silence")
    assert receiver.texts()[2].startswith("[SILENCED] web silenced by user:admin@example.gov "
                                          "for 1h (until ")
    assert "silenced until" in client.get("/alarms").text
    events = [e for e in container.audit.log.events(limit=20, cursor=None)[0]
              if e.kind in (audit.ALARM_ACKNOWLEDGED, audit.ALARM_SILENCED)]
    assert [(e.kind, e.actor, e.subject) for e in events] == [
        (audit.ALARM_SILENCED, "user:admin@example.gov", "web"),
        (audit.ALARM_ACKNOWLEDGED, "user:admin@example.gov", "web")]
    assert events[0].detail["duration"] == "1h"

    # THEN the recovery during the silence is recorded but not sent
    client.portal.call(canaries.alarms.on_result, canaries.config.checks[0], run_of(ok=True))
    latest = canaries.alarms.store.events(limit=1)[0]
    assert (latest["new_state"], latest["muted_by"]) == (
        "OK", "silenced by user:admin@example.gov")
    assert 'class="nav-badge"' not in client.get("/states").text

    # AND a silence for a duration not offered is refused
    bad = client.post("/alarms/web/silence", data={"csrf_token": token, "duration": "99y"})
    assert bad.status_code == 422 and "Choose how long" in bad.text


def test_a_recovery_is_logged_at_the_level_of_the_alarm(tmp_path, caplog):
    store = AlarmStore.open(tmp_path / "alarms.db")
    inbox = InboxTransport(store)
    with caplog.at_level(logging.WARNING, logger="humangov.alarms"):
        inbox.notify(AlarmEvent("web", "ALARM", old_state="OK"), event_id=1)
        inbox.notify(AlarmEvent("web", "OK", old_state="ALARM"), event_id=2)
    assert [r.getMessage() for r in caplog.records] == [
        "notification: [ALARM] web is in ALARM", "notification: [OK] web is OK"]
    store.close()
