import asyncio
import time

import pytest

from humangov.bootstrap import alarms as build_alarms
from humangov.config import Settings
from humangov.monitoring.config import parse_config
from humangov.monitoring.engine import MonitoringEngine
from humangov.monitoring.sqlite_store import SqliteRunStore
from tests.alarms.localhttp import SlackReceiver, Target


@pytest.fixture
def receiver():
    r = SlackReceiver()
    yield r
    r.close()


@pytest.fixture
def target():
    t = Target()
    yield t
    t.stop()


async def eventually(predicate, within: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Monitor:
    """The real monitoring engine (scheduler + SQLite run store) running a 1 s heartbeat, with
    the real alarm service attached."""

    def __init__(self, tmp_path, target_url, webhook_url, *, store=None, extra=None, **options):
        check = {"name": "web", "type": "heartbeat", "url": target_url, "interval": "1s",
                 "timeout": "500ms", "state": "CA",
                 "alarm": {"failures_in_a_row": 2, "confirm_after": 0.2}}
        self.config = parse_config({"checks": [check], **(extra or {})})
        settings = Settings(slack_webhook_url=webhook_url, data_dir=tmp_path)
        options.setdefault("dispatcher_options", {"base_backoff": 0.2})
        self.alarms = build_alarms(settings, self.config, **options)
        self.runs = store = store or SqliteRunStore(tmp_path / "runs.db")
        self.engine = MonitoringEngine(
            self.config, self.alarms.watch_store(store), tmp_path / "artifacts"
        )
        self.alarms.attach(self.engine.scheduler)

    async def __aenter__(self):
        await self.alarms.start()
        await self.engine.start()
        return self

    async def __aexit__(self, *exc):
        await self.engine.stop()
        await self.alarms.stop()
        self.alarms.store.close()

    async def runs_settle(self, n: int, check: str = "web") -> None:
        """Until `n` more runs of the check are stored (each is evaluated as it is stored)
        and every message they caused has gone out."""
        target = len(self.runs.list_runs(check, limit=1000)[0]) + n
        await eventually(lambda: len(self.runs.list_runs(check, limit=1000)[0]) >= target
                         and self.alarms.store.pending_count() == 0, what=f"{n} more runs")

    def state(self, check="web"):
        saved = self.alarms.store.load_state(check)
        return saved.state if saved else "INSUFFICIENT_DATA"


@pytest.fixture
def monitor_factory(tmp_path):
    def make(*args, **kwargs):
        return Monitor(tmp_path, *args, **kwargs)
    return make
