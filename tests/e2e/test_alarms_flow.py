"""Issue 15's alarms people notice, in real Chromium at desktop and phone sizes: a heartbeat
whose target stops answering goes to ALARM for real, the navigation counts it, the alarm is
red and says so, the failing URL is shown; an admin acknowledges and silences it, both
audited; the target comes back and the recovery is shown and logged like the alarm."""

from __future__ import annotations

import asyncio
import logging
import re
import threading

import pytest

from tests.alarms.localhttp import Target
from tests.e2e.browsing import chromium, served, tab  # noqa: F401  (chromium: a fixture)
from tests.e2e.conftest import PASSWORD
from tests.e2e.test_accessibility import SIZES

# One worker runs the module: one server and one browser for all its tests.
pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("e2e-alarms")]


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    """The app with one heartbeat per viewport size, each on its own local target, in ALARM
    after one failure. The checks run when a test says."""
    from humangov.bootstrap import bootstrap
    from humangov.bootstrap.canaries import Monitoring, alarms, run_store
    from humangov.config import Settings
    from humangov.monitoring.config import parse_config
    from humangov.monitoring.engine import MonitoringEngine
    from humangov.monitoring.http import Clients
    from humangov.monitoring.store import artifacts_dir_for

    settings = Settings(environment="test", data_dir=tmp_path_factory.mktemp("alarms") / "var",
                        monitoring=False)
    container = bootstrap(settings)
    container.provision_all_states()
    container.accounts.add_user("admin@example.gov", PASSWORD, "admin")
    targets = {size: Target() for size in SIZES}
    config = parse_config({"checks": [
        {"name": f"ca-heartbeat-{size}", "type": "heartbeat", "url": target.url, "state": "CA",
         "alarm": {"failures_in_a_row": 1, "confirm_after": None}}
        for size, target in targets.items()]})
    service = alarms(settings, config)
    store = service.watch_store(run_store(settings, config))
    # Clients given, as `serve`'s engine makes them on start, which would start the schedule too
    clients = Clients()
    engine = MonitoringEngine(config, store, artifacts_dir_for(settings.data_dir),
                              clients=clients)
    service.attach(engine.scheduler)
    canaries = Monitoring(config, store, engine, service)
    # Its own thread: the test's thread already runs Playwright's loop.
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(check: str):
        scheduler = canaries.engine.scheduler
        return asyncio.run_coroutine_threadsafe(scheduler.run_once(check), loop).result(30)

    with served(container, canaries) as base:
        yield base, targets, run
    asyncio.run_coroutine_threadsafe(clients.aclose(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()
    for target in targets.values():
        target.stop()
    canaries.alarms.store.close()
    container.close()


@pytest.mark.parametrize("size", SIZES)
def test_an_alarm_is_seen_acknowledged_silenced_audited_and_recovers(watched, chromium,  # noqa: F811
                                                                     size, caplog):
    from playwright.sync_api import expect

    base, targets, run = watched
    check, target = f"ca-heartbeat-{size}", targets[size]
    # GIVEN the check's target stops answering, and a run fails
    target.stop()
    failed = run(check)
    assert failed.status == "fail" and "refused" in failed.error.lower(), failed.error

    with tab(chromium, base, size, "admin@example.gov") as t:
        page = t.page
        # THEN the navigation counts it and the Alarms page shows it in red, in words
        badge = page.locator(".nav-badge")
        expect(badge).to_have_text("1 in ALARM")
        t.follow(page.get_by_role("link", name="Alarms 1 in ALARM"))
        t.checked()
        row = page.locator("tr", has=page.get_by_role("link", name=check, exact=True))
        state = row.locator(".alarm-state")
        expect(state).to_have_text("ALARM")
        expect(row).to_have_class("row-alarm")
        assert state.evaluate("e => getComputedStyle(e).backgroundColor") != \
            page.locator(".alarm-state").filter(has_not_text="ALARM").first \
                .evaluate("e => getComputedStyle(e).backgroundColor")
        # and the check's page names the URL that failed
        t.follow(row.get_by_role("link", name=check, exact=True))
        t.checked()
        expect(page.locator(".target").first).to_have_text(target.url)
        page.go_back()

        # WHEN the admin acknowledges it, then silences it for four hours
        t.follow(page.get_by_role("button", name=f"Acknowledge {check}"))
        t.checked()
        expect(page.get_by_role("status")).to_contain_text(f"Alarm of {check} acknowledged")
        expect(row).to_contain_text("acknowledged by admin@example.gov")
        page.get_by_label(f"Silence {check} for").select_option("4h")
        t.follow(page.get_by_role("button", name=f"Silence {check}"))
        expect(page.get_by_role("status")).to_contain_text(f"{check} silenced for 4h")
        expect(row).to_contain_text("silenced until")

        # THEN both are in the audit log
        t.follow(page.get_by_role("link", name="Audit log", exact=True))
        t.checked()
        for kind in ("alarm.acknowledged", "alarm.silenced"):
            entry = page.locator("tbody tr", has_text=check).filter(has_text=kind)
            expect(entry).to_have_count(1)
            expect(entry).to_contain_text("admin@example.gov")

        # WHEN the target answers again and the check runs
        target.start()
        with caplog.at_level(logging.INFO, logger="humangov"):
            again = run(check)
            assert again.status == "ok", again.error
        # THEN the recovery is logged like the alarm was, and shown, and the badge is gone
        assert any(f"check {check}: ALARM -> OK" in r.getMessage() for r in caplog.records)
        t.follow(page.get_by_role("link", name=re.compile("^Alarms")))  # the badge was on
        t.checked()
        expect(badge).to_have_count(0)
        expect(row.locator(".alarm-state")).to_have_text("OK")
        recovered = page.locator("tbody tr", has_text=check).filter(has_text="ALARM → OK")
        expect(recovered).to_have_count(1)
        assert t.problems == {}
