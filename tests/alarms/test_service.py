"""The alarm service through its subscriber, with a working in-memory channel."""

from datetime import UTC, datetime, timedelta

import pytest

from humangov.monitoring.alarms.messages import AlarmEvent
from humangov.monitoring.alarms.policy import DeadmanConfig
from humangov.monitoring.alarms.service import AlarmService
from humangov.monitoring.alarms.store import AlarmStore
from humangov.monitoring.config import parse_config
from humangov.monitoring.results import RunResult, new_run_id
from humangov.monitoring.store import MemoryRunStore
from tests.alarms.conftest import eventually
from tests.pauses import Pauses

pytestmark = pytest.mark.asyncio


class Recorder:
    """A channel that keeps what it was sent."""

    kind = "memory"
    name = "memory"

    def __init__(self):
        self.events: list[AlarmEvent] = []

    def describe(self):
        return "memory"

    def fingerprint(self):
        return "memory"

    def notify(self, event, *, event_id=None):
        self.events.append(event)


class Scheduler:
    def __init__(self):
        self.subscribers, self.rechecks = [], []

    def run_now(self, name, delay):
        self.rechecks.append((name, delay))


CONFIG = parse_config({"checks": [{"name": "web", "type": "heartbeat", "url": "http://127.0.0.1:1/",
                                   "interval": "1s", "timeout": "500ms"}]})


def run(ok: bool, trigger="scheduled", lag=0.0, at=None):
    at = at or datetime.now(UTC)
    return RunResult(check="web", status="ok" if ok else "fail", started_at=at, duration_ms=3.0,
                     run_id=new_run_id(at), trigger=trigger,
                     scheduled_at=at - timedelta(seconds=lag),
                     error="" if ok else "connection refused")


@pytest.fixture
async def service(tmp_path):
    recorder = Recorder()
    svc = AlarmService(AlarmStore.open(tmp_path / "alarms.db"), [recorder], CONFIG.checks,
                       dispatcher_options={"min_interval": 0.0})
    svc.recorder = recorder
    yield svc
    await svc.stop()
    svc.store.close()


async def test_a_failed_run_asks_for_a_confirmation_recheck_until_the_alarm_fires(service):
    scheduler = Scheduler()
    service.attach(scheduler)
    await service.start()
    check = CONFIG.checks[0]
    t = datetime.now(UTC)
    await service.on_result(check, run(True, at=t))
    await service.on_result(check, run(False, at=t + timedelta(seconds=1)))
    assert scheduler.rechecks == [("web", 1.0)]
    await service.on_result(check, run(False, trigger="confirm", at=t + timedelta(seconds=2)))
    assert scheduler.rechecks == [("web", 1.0)]  # in ALARM now: no more re-checks
    await eventually(lambda: [e.new_state for e in service.recorder.events] == ["ALARM"],
                     what="ALARM")


async def test_a_missed_run_is_monitor_degraded_not_a_check_alarm(service):
    await service.start()
    check = CONFIG.checks[0]
    await service.on_result(check, run(True))
    for _ in range(3):
        await service.on_result(check, run(False, trigger="missed"))
    await eventually(lambda: len(service.recorder.events) == 1, what="the degraded alert")
    assert service.recorder.events[0].kind == "degraded"
    assert service.store.load_state("web").state == "OK"


async def test_runs_late_against_their_schedule_raise_monitor_degraded(service):
    await service.start()
    await service.on_result(CONFIG.checks[0], run(True, lag=8.0))
    await eventually(lambda: len(service.recorder.events) == 1, what="the degraded alert")
    assert "behind schedule" in service.recorder.events[0].reason


async def test_runs_stored_but_never_evaluated_before_a_crash_are_evaluated_at_start(service):
    # GIVEN two failed runs in the run store that the alarm side never saw
    runs = MemoryRunStore()
    base = datetime.now(UTC) - timedelta(seconds=10)
    for i, ok in enumerate([True, False, False]):
        runs.save(run(ok, at=base + timedelta(seconds=i)))
    service.watch_store(runs)
    # WHEN the service starts THEN it catches up and the ALARM goes out
    await service.start()
    await eventually(lambda: [e.new_state for e in service.recorder.events] == ["ALARM"],
                     what="ALARM")


async def test_no_results_for_two_intervals_raise_monitor_degraded(tmp_path):
    # GIVEN a 1 s check with a 500 ms timeout: silent for over 2 x 1 + 0.5 + 0.1 s is stale
    recorder, clock, watchdog = Recorder(), [0.0], Pauses()
    svc = AlarmService(AlarmStore.open(tmp_path / "alarms.db"), [recorder], CONFIG.checks,
                       stale_grace=0.1, monotonic=lambda: clock[0], sleep=watchdog,
                       dispatcher_options={"min_interval": 0.0})
    await svc.start()
    try:
        await watchdog.asleep()
        clock[0] = 2.5
        await watchdog.poll()
        assert svc.degraded is None
        # WHEN no result came for longer THEN the monitor says it is degraded
        clock[0] = 2.7
        await watchdog.poll()
        assert "no result from check web" in svc.degraded
        await eventually(lambda: len(recorder.events) == 1, what="the degraded alert")
        assert "no result from check web" in recorder.events[0].reason
    finally:
        await svc.stop()


async def test_the_dead_mans_switch_pings_while_healthy_and_stops_when_degraded(
    receiver, tmp_path,
):
    laps = Pauses(only=0.1)  # the dead-man's loop; the watchdog's pauses never end
    svc = AlarmService(AlarmStore.open(tmp_path / "alarms.db"), [Recorder()], CONFIG.checks,
                       sleep=laps,
                       deadman=DeadmanConfig(url=f"http://127.0.0.1:{receiver.port}/ping/abc",
                                             interval=timedelta(seconds=0.1)))
    await svc.start()
    try:
        await laps.asleep()
        await laps.poll()
        assert receiver.pings == 2
        # WHEN the monitor is degraded THEN it stops pinging, so the outside watcher notices
        svc.store_failed(OSError("disk full"))
        await laps.poll(times=2)
        assert receiver.pings == 2
        # WHEN it recovers THEN the pings resume
        svc.store_ok()
        await laps.poll()
        assert receiver.pings == 3
        assert laps.asked == [0.1] * 5
    finally:
        await svc.stop()
