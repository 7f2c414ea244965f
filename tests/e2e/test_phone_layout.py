"""Every admin page at a 390 px phone width in real Chromium, with data in each: the page
never scrolls sideways (a wide table scrolls inside its card; long keys and URLs wrap)."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta

import pytest

from humangov.domain.erasure import Receipt
from humangov.monitoring.alarms.evaluator import AlarmState
from humangov.monitoring.alarms.messages import AlarmEvent
from humangov.monitoring.alarms.store import NewEvent
from humangov.monitoring.results import RunResult, StepResult, new_run_id
from tests.conftest import PDF
from tests.e2e.conftest import CHROMIUM_ARGS, PASSWORD, serving

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
LONG_URL = "http://127.0.0.1:9/states/CA/employees?cursor=" + "x" * 120


@pytest.fixture
def site(tmp_path):
    """The real app with monitoring pages and data on every admin page."""
    from humangov.bootstrap import bootstrap
    from humangov.bootstrap.canaries import monitoring
    from humangov.config import Settings
    from humangov.monitoring.config import parse_config
    from humangov.web.app import create_app
    from humangov.web.routes import pages

    settings = Settings(environment="test", data_dir=tmp_path / "var", monitoring=False)
    container = bootstrap(settings)
    container.provision_all_states()
    container.accounts.add_user("admin@example.gov", PASSWORD, "admin")
    container.accounts.add_user("a.very.long.address.for.a.state.admin@california.example.gov",
                                PASSWORD, "state-admin", "CA")
    long_fields = {"last_name": "Featherstonehaugh-Wolfeschlegel", "salary": "123456.78",
                   "role": "Principal Intergovernmental Relations Coordinator"}
    employees = [
        container.personnel.add_employee("CA", {"first_name": f"Maximiliana{n}", **long_fields},
                                         io.BytesIO(PDF), "user:admin@example.gov")
        for n in range(3)
    ]
    first = employees[0]
    container.personnel.update_employee("CA", str(first.id), {"role": "Chief Data Steward"},
                                        "user:admin@example.gov")
    now = datetime.now(UTC)
    container.ledger.append([
        Receipt("CA", f"CA/employees/{e.id}/documents/{e.id}.pdf", 48213,
                hashlib.sha256(str(e.id).encode()).hexdigest(), "record-deleted",
                f"change-{e.id}", "user:admin@example.gov", now - timedelta(minutes=5), now,
                "erased", versions=(hashlib.sha1(str(e.id).encode()).hexdigest(),))
        for e in employees
    ])

    config = parse_config({"checks": [{"name": "ca-employee-listing-heartbeat",
                                       "type": "heartbeat", "url": LONG_URL, "state": "CA"}]})
    canaries = monitoring(settings, config)
    run = RunResult(check="ca-employee-listing-heartbeat", check_type="heartbeat",
                    status="fail", started_at=now, duration_ms=5012.0,
                    steps=(StepResult("request", "fail", 5012.0, "ConnectTimeout: " + "y" * 150),),
                    error="ConnectTimeout: the target did not answer within 5 s " + "z" * 100,
                    failing_step="request", run_id=new_run_id(now))
    canaries.store.save(run)
    alarms = canaries.alarms
    event = AlarmEvent("ca-employee-listing-heartbeat", "ALARM", old_state="OK", tenant="CA",
                       failing_step="request", target=LONG_URL, error=run.error,
                       run_url=f"http://127.0.0.1/monitoring/runs/{run.run_id}")
    alarms.store.record("ca-employee-listing-heartbeat", AlarmState(state="ALARM", since=now),
                        [NewEvent("k", event, now, run_id=run.run_id)], [], now)
    alarms.transports["inbox"].notify(event, event_id=1)

    app = create_app(container, canaries=canaries)
    if not any(getattr(r, "path", None) == "/login" for r in app.routes):
        app.include_router(pages.router)
    with serving(app) as base:
        yield base, run, first
    alarms.store.close()
    container.close()


def test_no_admin_page_scrolls_sideways_on_a_phone(site):
    from playwright.sync_api import sync_playwright

    base, run, employee = site
    paths = [
        "/monitoring", "/monitoring/checks/ca-employee-listing-heartbeat",
        f"/monitoring/runs/{run.run_id}", "/alarms", "/inbox", "/states/CA",
        "/states/CA/erasures", "/states/CA/compliance", "/audit", "/users", "/account",
        f"/states/CA/employees/{employee.id}/history",
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(base_url=base, viewport=PHONE)
            page.set_default_timeout(15_000)
            page.goto("/login")
            page.get_by_label("Email").fill("admin@example.gov")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(lambda url: "/login" not in url)
            too_wide = {}
            for path in paths:
                response = page.goto(path)
                assert response is not None and response.status == 200, path
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > PHONE["width"]:
                    too_wide[path] = width
            assert too_wide == {}
            # The data is there: the alarm in words, and its URL.
            page.goto("/alarms")
            assert page.locator(".alarm-state.alarm-alarm").first.inner_text() == "ALARM"
            assert page.locator(".nav-badge").inner_text().startswith("1")
        finally:
            browser.close()
