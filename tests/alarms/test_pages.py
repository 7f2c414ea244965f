"""The Alarms page and the Inbox, rendered from the real templates."""

from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient

from humangov.bootstrap import alarms as build_alarms
from humangov.config import Settings
from humangov.monitoring.alarms.messages import CHANNEL_DISABLED, AlarmEvent
from humangov.monitoring.alarms.store import NewEvent
from humangov.monitoring.config import parse_config
from humangov.web.app import page_templates
from humangov.web.deps import admin_principal
from humangov.web.routes.alarms import pages_router

SECRET_URL = "https://hooks.slack.com/services/T0SECRET/B0SECRET/verysecretpart"


def make_app(tmp_path):
    config = parse_config({"checks": [{"name": "web", "type": "heartbeat", "url": "http://127.0.0.1:1/"}]})
    service = build_alarms(Settings(data_dir=tmp_path, slack_webhook_url=SECRET_URL), config)
    app = FastAPI()
    app.include_router(pages_router)
    app.state.templates = page_templates()
    app.state.templates.env.globals["csrf_token"] = lambda request: ""
    app.state.alarms = service
    app.dependency_overrides[admin_principal] = lambda: None
    return app, service


def test_the_alarms_page_shows_a_disabled_channel_with_its_url_redacted(tmp_path):
    # GIVEN a Slack channel disabled by a permanent error
    app, service = make_app(tmp_path)
    service.store.register_channel("slack", "slack", service.transports["slack"].describe(), "f")
    service.store.disable_channel("slack", "HTTP 404: no_service", datetime.now(UTC))
    # WHEN an admin opens the Alarms page
    page = TestClient(app).get("/alarms")
    # THEN it names the channel, its state and error, and never the whole URL
    assert page.status_code == 200
    assert "disabled" in page.text and "no_service" in page.text
    assert "https://hooks.slack.com/services/T0…" in page.text
    assert "verysecretpart" not in page.text and "B0SECRET" not in page.text
    assert "web" in page.text and "INSUFFICIENT_DATA" in page.text
    service.store.close()


def test_the_inbox_lists_channel_alerts(tmp_path):
    app, service = make_app(tmp_path)
    now = datetime.now(UTC)
    event = AlarmEvent("slack", "DISABLED", error="HTTP 404", kind=CHANNEL_DISABLED, reason="gone")
    service.store.record(None, None, [NewEvent("k", event, now)], ["inbox"], now)
    service.transports["inbox"].notify(event, event_id=1)
    page = TestClient(app).get("/inbox")
    assert page.status_code == 200 and "channel disabled" in page.text and "HTTP 404" in page.text
    service.store.close()
