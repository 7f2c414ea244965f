"""The dispatcher's waits, on a fake clock: one message per second per channel, a 429's
Retry-After, exponential backoff after errors. Its sleeps are recorded, not slept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from humangov.monitoring.alarms.delivery import Dispatcher
from humangov.monitoring.alarms.messages import AlarmEvent
from humangov.monitoring.alarms.store import AlarmStore, NewEvent
from humangov.monitoring.alarms.transport import TransportError

pytestmark = pytest.mark.asyncio

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class FakeTime:
    def __init__(self):
        self.t = 0.0
        self.slept: list[float] = []

    def now(self) -> datetime:
        return T0 + timedelta(seconds=self.t)

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds
        await asyncio.sleep(0)


class Scripted:
    """A Slack-like channel answering from a script; notes the (fake) time of each attempt."""

    name = kind = "slack"

    def __init__(self, time: FakeTime, script: list[TransportError | None], delivered: int):
        self.time, self.script = time, list(script)
        self.attempts: list[tuple[float, str]] = []
        self.sent: list[str] = []
        self._expected = delivered
        self._loop = asyncio.get_running_loop()
        self.done = asyncio.Event()

    def describe(self):
        return "scripted"

    def fingerprint(self):
        return "scripted"

    def notify(self, event, *, event_id=None):  # in a worker thread, as the real Slack channel
        error = self.script.pop(0) if self.script else None
        self.attempts.append((self.time.t, "ok" if error is None else error.message))
        if error is not None:
            raise error
        self.sent.append(event.new_state)
        if len(self.sent) == self._expected:
            self._loop.call_soon_threadsafe(self.done.set)


async def deliver(tmp_path, script, *states, **options):
    """Queue one message per state (one check, in order) and run the dispatcher until all
    went out. Returns the channel and the fake time."""
    time = FakeTime()
    store = AlarmStore.open(tmp_path / "alarms.db")
    channel = Scripted(time, script, delivered=len(states))
    store.register_channel("slack", "slack", "scripted", "f")
    for i, state in enumerate(states):
        event = AlarmEvent(check="web", new_state=state)
        store.record(None, None, [NewEvent(f"web|{i}", event, T0)], ["slack"], T0)
    dispatcher = Dispatcher(store, [channel], clock=time.now, monotonic=time.monotonic,
                            sleep=time.sleep, **options)
    await dispatcher.start()
    try:
        await asyncio.wait_for(channel.done.wait(), timeout=10)
    finally:
        await dispatcher.stop()
        store.close()
    return channel, time


async def test_a_429_pauses_the_channel_for_its_retry_after_then_one_message_a_second(tmp_path):
    rate_limited = TransportError("rate_limited", retry_after=2.0)
    channel, time = await deliver(tmp_path, [rate_limited], "ALARM", "OK", min_interval=1.0)
    assert channel.attempts == [(0.0, "rate_limited"), (2.0, "ok"), (3.0, "ok")]
    assert channel.sent == ["ALARM", "OK"]
    assert time.slept[:2] == [2.0, 1.0]


async def test_errors_back_off_exponentially(tmp_path):
    down = TransportError("HTTP 500")
    channel, _ = await deliver(tmp_path, [down, down, down], "ALARM",
                               min_interval=0.0, base_backoff=1.0)
    # Waits of 1, 2, then 4 s after the first, second and third failure.
    assert [t for t, _ in channel.attempts] == [0.0, 1.0, 3.0, 7.0]
    assert channel.sent == ["ALARM"]


async def test_backoff_stops_growing_at_its_cap(tmp_path):
    down = TransportError("HTTP 500")
    channel, _ = await deliver(tmp_path, [down] * 4, "ALARM",
                               min_interval=0.0, base_backoff=1.0, max_backoff=3.0)
    assert [t for t, _ in channel.attempts] == [0.0, 1.0, 3.0, 6.0, 9.0]
