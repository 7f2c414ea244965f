"""The monitor is a real process, killed with SIGKILL at awkward moments of an incident and
restarted: the team still gets exactly one ALARM and one OK.

The one moment not covered is the few milliseconds between Slack accepting a message and the
outbox row being marked sent: a kill there re-sends that message (at-least-once; Slack webhooks
take no idempotency key). The kills below wait until the row is marked sent."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from humangov.monitoring.alarms.store import AlarmStore
from humangov.monitoring.sqlite_store import SqliteRunStore

pytestmark = pytest.mark.slow


REPO_ROOT = Path(__file__).resolve().parents[2]  # so `-m tests.alarms.crash_runner` imports


def wait_for(predicate, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class MonitorProcess:
    def __init__(self, data_dir, target_url, webhook_url):
        self.args = [sys.executable, "-m", "tests.alarms.crash_runner",
                     "--data-dir", str(data_dir), "--target", target_url, "--webhook", webhook_url]
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"}, cwd=REPO_ROOT)
        assert self.proc.stdout.readline().strip() == b"ready"

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def restart(self):
        self.kill()
        self.start()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.kill()


def states_in(receiver):
    return [text.split("]")[0].lstrip("[") for text in receiver.texts()]


def test_killing_the_monitor_during_an_incident_still_sends_one_alarm_and_one_ok(
    tmp_path, receiver, target
):
    monitor = MonitorProcess(tmp_path, target.url, receiver.url)
    monitor.start()
    store = AlarmStore.open(tmp_path / "alarms.db")
    runs = SqliteRunStore(tmp_path / "runs.db")
    try:
        def state():
            saved = store.load_state("target")
            return saved.state if saved else None

        def runs_settle(n):
            """Until the restarted monitor has stored (and so evaluated) `n` more runs, and
            sent every message they caused."""
            def stored():
                return len(runs.list_runs("target", limit=1000)[0])

            target = stored() + n
            wait_for(lambda: stored() >= target and store.pending_count() == 0,
                     what=f"{n} more runs")

        # GIVEN a healthy target under watch
        wait_for(lambda: state() == "OK", what="OK")
        # WHEN the target goes down, and the monitor is killed right after the first failure
        target.stop()
        wait_for(lambda: (store.load_state("target") or None)
                 and store.load_state("target").fail_streak >= 1,
                 what="a first failure")
        monitor.restart()
        wait_for(lambda: states_in(receiver) == ["ALARM"], what="the ALARM")
        wait_for(lambda: store.pending_count() == 0, what="the ALARM marked sent")
        # ... and again once the ALARM went out, while the target is still down
        monitor.restart()
        runs_settle(2)
        assert states_in(receiver) == ["ALARM"]
        # WHEN the target comes back, and the monitor is killed once more after the OK
        target.start()
        wait_for(lambda: states_in(receiver) == ["ALARM", "OK"], what="the OK")
        wait_for(lambda: store.pending_count() == 0, what="the OK marked sent")
        monitor.restart()
        runs_settle(2)
        # THEN one ALARM and one OK, in that order, and nothing left to send
        assert states_in(receiver) == ["ALARM", "OK"]
        assert store.pending_count() == 0
    finally:
        monitor.stop()
        runs.close()
        store.close()
