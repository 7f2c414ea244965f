"""Drains the notification outbox: one task per channel.

- at most one request per second per channel;
- one check's messages go out in order (the store only offers a check's oldest pending row);
- network errors and 5xx are retried with exponential backoff; a 429 pauses the channel for
  its `Retry-After` (https://api.slack.com/apis/rate-limits);
- a permanent error disables the channel, records `last_error`, sets the metric and raises an
  alert in the inbox.

Delivery is at-least-once: a crash after the HTTP call and before `mark_sent` re-sends that
one message after the lease expires. Everything else (re-evaluation, restarts) is once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from humangov.monitoring.alarms.metrics import AlarmMetrics
from humangov.monitoring.alarms.store import AlarmStore, from_text
from humangov.monitoring.alarms.transport import Transport, TransportError
from humangov.monitoring.results import utcnow

log = logging.getLogger("humangov.alarms.delivery")


class Dispatcher:
    def __init__(
        self,
        store: AlarmStore,
        transports: list[Transport],
        *,
        min_interval: float = 1.0,
        base_backoff: float = 1.0,
        max_backoff: float = 300.0,
        lease: timedelta = timedelta(seconds=30),
        on_disabled: Callable[[str, str], None] | None = None,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        metrics: AlarmMetrics | None = None,
    ) -> None:
        self.store = store
        self.metrics = metrics or AlarmMetrics()
        self.transports = {t.name: t for t in transports}
        self.min_interval = min_interval
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.lease = lease
        self.on_disabled = on_disabled
        self._now, self._monotonic, self._pause = clock, monotonic, sleep
        self._wake = {name: asyncio.Event() for name in self.transports}
        self._tasks: list[asyncio.Task] = []
        self._last_attempt: dict[str, float] = {}

    async def start(self) -> None:
        for name, transport in self.transports.items():
            row = self.store.channel(name)
            disabled = 1 if row and row["disabled"] else 0
            self.metrics.channel_disabled.labels(channel=name).set(disabled)
            self._tasks.append(asyncio.create_task(self._loop(transport), name=f"notify:{name}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    def wake(self) -> None:
        for event in self._wake.values():
            event.set()

    async def _sleep(self, name: str, seconds: float) -> None:
        """For `seconds`, or until woken by a new message."""
        event = self._wake[name]
        pause = asyncio.ensure_future(self._pause(max(0.0, seconds)))
        woken = asyncio.create_task(event.wait())
        try:
            await asyncio.wait((pause, woken), return_when=asyncio.FIRST_COMPLETED)
        finally:
            pause.cancel()
            woken.cancel()
        event.clear()

    async def _loop(self, transport: Transport) -> None:
        name = transport.name
        while True:
            try:
                delay = await self._step(transport)
            except asyncio.CancelledError:
                raise
            except Exception:  # e.g. the database is locked for too long: try again soon
                log.exception("notification dispatcher for %s failed; retrying", name)
                delay = 1.0
            if delay > 0:
                await self._sleep(name, delay)

    async def _step(self, transport: Transport) -> float:
        """Deliver at most one message; return how long to wait before the next step."""
        name = transport.name
        channel = self.store.channel(name)
        if channel is None or channel["disabled"]:
            return 60.0
        now = self._now()
        paused_until = from_text(channel["next_allowed_at"])
        if paused_until and paused_until > now:
            return (paused_until - now).total_seconds()
        since_last = self._monotonic() - self._last_attempt.get(name, -1e9)
        if since_last < self.min_interval:
            return self.min_interval - since_last
        row = self.store.next_due(name, now)
        if row is None:
            wake = self.store.next_wake(name)
            return min(5.0, max(0.05, (wake - now).total_seconds())) if wake else 5.0
        if not self.store.claim(row["id"], now, self.lease):
            return 0.05  # another dispatcher took it
        self._last_attempt[name] = self._monotonic()
        try:
            if transport.kind == "inbox":
                # A local write into this same database, keyed by event so it happens once.
                transport.notify(row["event"], event_id=row["event_id"])
            else:
                await asyncio.to_thread(transport.notify, row["event"], event_id=row["event_id"])
        except TransportError as exc:
            return self._failed(transport, row, exc)
        self.store.mark_sent(row["id"], name, self._now())
        self.metrics.notifications.labels(channel=name, outcome="sent").inc()
        return 0.0

    def _failed(self, transport: Transport, row: dict, exc: TransportError) -> float:
        name, now = transport.name, self._now()
        if exc.permanent:
            self.metrics.notifications.labels(channel=name, outcome="permanent_error").inc()
            if self.store.disable_channel(name, exc.message, now):
                log.error("notification channel %s disabled: %s", name, exc.message)
                self.metrics.channel_disabled.labels(channel=name).set(1)
                if self.on_disabled is not None:
                    self.on_disabled(name, exc.message)
            return 60.0
        if exc.retry_after is not None:
            until = now + timedelta(seconds=exc.retry_after)
            self.metrics.notifications.labels(channel=name, outcome="rate_limited").inc()
            self.store.set_channel_pause(name, until, exc.message)
            self.store.mark_retry(row["id"], exc.message, until)
            log.warning("notification channel %s rate limited for %.1fs", name, exc.retry_after)
            return exc.retry_after
        backoff = min(self.max_backoff, self.base_backoff * (2 ** row["attempts"]))
        self.metrics.notifications.labels(channel=name, outcome="retry").inc()
        self.store.mark_retry(row["id"], exc.message, now + timedelta(seconds=backoff))
        self.store.set_channel_pause(name, None, exc.message)
        log.warning(
            "notification via %s failed (%s); retrying in %.1fs", name, exc.message, backoff
        )
        return 0.0
