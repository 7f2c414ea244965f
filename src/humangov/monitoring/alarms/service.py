"""The alarm service: the scheduler's result subscriber, the monitor's own health, the
dead-man's-switch ping, and the dispatcher that drains the outbox.

    result ► evaluate(state, result) ► transitions ► (one transaction) state + events + outbox
           ► Dispatcher ► Slack / webhook / inbox

A failed run while not in ALARM asks the scheduler for a confirmation re-check after
`policy.confirm_after`, so a real outage is confirmed in about a second rather than a whole
interval. "The monitor is broken" is its own kind of alert (DEGRADED), never a check ALARM.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta

import httpx

from humangov.monitoring.alarms.delivery import Dispatcher
from humangov.monitoring.alarms.evaluator import (
    ALARM,
    OK,
    AlarmState,
    ResultView,
    Transition,
    evaluate,
)
from humangov.monitoring.alarms.messages import (
    ACKNOWLEDGED,
    CHANNEL_DISABLED,
    DEGRADED,
    OVERDUE_REQUEST,
    REMINDER,
    SILENCED,
    TRANSITION,
    AlarmEvent,
    headline,
    humanize,
)
from humangov.monitoring.alarms.metrics import AlarmMetrics
from humangov.monitoring.alarms.policy import AlarmPolicy, DeadmanConfig, Silence
from humangov.monitoring.alarms.silences import muting_silence
from humangov.monitoring.alarms.store import AlarmStore, NewEvent, to_text
from humangov.monitoring.alarms.transport import Transport, redact_url
from humangov.monitoring.results import utcnow
from humangov.monitoring.targets import failing_target

log = logging.getLogger("humangov.alarms")

MONITOR = "monitor"  # the pseudo-check that carries the monitor's own health
_MONITOR_KEY = "__monitor__"


class AlarmService:
    def __init__(
        self,
        store: AlarmStore,
        transports: list[Transport],
        checks: list,
        *,
        base_url: str = "http://127.0.0.1:8000",
        silences: Sequence[Silence] = (),
        deadman: DeadmanConfig | None = None,
        scheduler=None,
        lag_threshold: float = 5.0,
        stale_grace: float = 10.0,
        watchdog_every: float = 2.0,
        dispatcher_options: dict | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        metrics: AlarmMetrics | None = None,
    ) -> None:
        self.store = store
        self.metrics = metrics or AlarmMetrics()
        self.transports = {t.name: t for t in transports}
        self.checks = {check.name: check for check in checks}
        self.base_url = base_url.rstrip("/")
        self.silences = list(silences)
        self.deadman = deadman
        self.scheduler = scheduler
        self.lag_threshold = lag_threshold
        self.stale_grace = stale_grace
        self.watchdog_every = watchdog_every
        # For the watchdog and the dead-man's switch.
        self._monotonic, self._sleep = monotonic, sleep
        self.dispatcher = Dispatcher(
            store, transports, on_disabled=self._channel_disabled, metrics=self.metrics,
            **(dispatcher_options or {})
        )
        self._problems: dict[str, str] = {}
        self._on_time_streak = 0
        self._last_seen: dict[str, float] = {}
        self._tasks: list[asyncio.Task] = []
        self._run_store = None
        self._states: dict[str, AlarmState] = {}
        # Checks in ALARM, kept in memory so the navigation badge on every page costs nothing.
        self._alarming: set[str] | None = None
        self._actions: dict[tuple[str, str], dict] | None = None  # people's, latest per kind
        self.deadman_status: dict = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def attach(self, scheduler) -> None:
        """Subscribe to a scheduler's results and use it for confirmation re-checks."""
        self.scheduler = scheduler
        if self.on_result not in scheduler.subscribers:
            scheduler.subscribers.append(self.on_result)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        for transport in self.transports.values():
            self.store.register_channel(transport.name, transport.kind, transport.describe(),
                                        transport.fingerprint())
        saved = self.store.load_state(_MONITOR_KEY)
        if saved is not None and saved.state == ALARM:
            # Degraded when we stopped: stay so until results show the monitor works again.
            self._problems["restart"] = saved.last_run_id or "degraded before a restart"
        now = self._monotonic()
        self._last_seen = {name: now for name in self.checks}
        if self._run_store is not None:
            await self.catch_up(self._run_store)
        await self.dispatcher.start()
        self._tasks.append(asyncio.create_task(self._watchdog(), name="alarms:watchdog"))
        if self.deadman is not None:
            self._tasks.append(asyncio.create_task(self._deadman_loop(), name="alarms:deadman"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.dispatcher.stop()

    # -- results --------------------------------------------------------------------------

    async def catch_up(self, run_store, limit: int = 100) -> int:
        """Evaluate runs the store holds but we never saw (the process died between storing a
        run and evaluating it), oldest first. Returns how many were evaluated."""
        done = 0
        for name, check in self.checks.items():
            state = self.store.load_state(name) or AlarmState()
            try:
                runs, _ = run_store.list_runs(name, limit=limit)
            except Exception:
                log.exception("could not read past runs of %s to catch up", name)
                continue
            unseen = (r for r in runs if r.run_id > state.last_run_id)
            for result in sorted(unseen, key=lambda r: r.run_id):
                await self.on_result(check, result, live=False)
                done += 1
        return done

    async def on_result(self, check, result, *, live: bool = True) -> None:
        """The scheduler's subscriber: called after each result is stored. `live=False` when
        replaying stored runs at start-up: no re-checks, no judging of the monitor's lag."""
        if result.trigger == "missed":
            # The run never started: the monitor is behind, which says nothing about the app.
            if live:
                self._problem("lag", f"runs are falling behind schedule ({result.error})")
            return
        if live:
            self._last_seen[check.name] = self._monotonic()
            self._resolve(f"stale:{check.name}")
            self._observe_lag(result)
        policy: AlarmPolicy = getattr(check, "alarm", None) or AlarmPolicy()
        state = self._states.get(check.name) or self.store.load_state(check.name) or AlarmState()
        view = ResultView(result.run_id, result.ok, result.started_at)
        new_state, transitions = evaluate(state, view, policy)
        if new_state is state:
            return  # this run was evaluated before (a replay)
        self._states[check.name] = new_state
        if not (transitions or _eventful(state, new_state)):
            # One more success of a healthy check: skip the write. After a crash, `catch_up`
            # replays these runs from the run store, so nothing is lost.
            return
        now = utcnow()
        new_events = [self._event_for(check, result, t) for t in transitions if t.notify]
        try:
            created = self.store.record(
                check.name, new_state, new_events, self._live_channels(), now
            )
        except Exception:
            self._states.pop(check.name, None)  # reload what is on disk next time
            raise
        self.metrics.alarm_state.labels(check=check.name).set(1 if new_state.state == ALARM else 0)
        alarming = self.alarming()
        (alarming.add if new_state.state == ALARM else alarming.discard)(check.name)
        for t in transitions:
            log.info("check %s: %s -> %s (%s)", check.name, t.old_state, t.new_state, t.kind)
        if created:
            self.dispatcher.wake()
        delay = policy.confirm_after
        confirm = live and not result.ok and new_state.state != ALARM
        if confirm and delay is not None and self.scheduler:
            self.scheduler.run_now(check.name, delay.total_seconds())

    def _event_for(self, check, result, t: Transition) -> NewEvent:
        screenshot = next((a for a in result.artifacts if a.lower().endswith(".png")), None)
        run_url = f"{self.base_url}/monitoring/runs/{result.run_id}"
        failed = t.new_state == ALARM
        event = AlarmEvent(
            check=check.name, new_state=t.new_state, old_state=t.old_state,
            tenant=getattr(check, "state", None),
            failing_step=result.failing_step if failed else None,
            target=failing_target(check, result) if failed else None,
            error=result.error or None if failed else None,
            duration_ms=result.duration_ms, since=t.since, down_for=t.down_for,
            run_url=run_url,
            screenshot_url=(f"{self.base_url}/monitoring/artifacts/{result.run_id}/{os.path.basename(screenshot)}"
                            if screenshot else None),
            kind=REMINDER if t.kind == "reminder" else TRANSITION,
        )
        key = f"{check.name}|{t.run_id}|{t.kind}|{t.new_state}"
        muted_by = muting_silence(self.silences, check.name, t.at) or self._muted_by_person(
            check.name, t.at, reminder=t.kind == "reminder")
        return NewEvent(key, event, t.at, run_id=t.run_id, muted_by=muted_by)

    # -- people: acknowledge, silence -----------------------------------------------------

    def alarming(self) -> set[str]:
        """The checks in ALARM now (read from the store once, then kept up to date)."""
        if self._alarming is None:
            self._alarming = {name for name, state in self.store.states().items()
                              if state.state == ALARM and name != _MONITOR_KEY}
        return self._alarming

    def _person_actions(self) -> dict[tuple[str, str], dict]:
        if self._actions is None:
            self._actions = self.store.latest_actions()
        return self._actions

    def _muted_by_person(self, check: str, at: datetime, *, reminder: bool) -> str | None:
        silence = self._person_actions().get((check, SILENCED))
        if silence and silence["until"] and at < silence["until"]:
            return f"silenced by {silence['actor']}"
        ack = self._person_actions().get((check, ACKNOWLEDGED))
        state = self._states.get(check) or self.store.load_state(check)
        # An acknowledged incident sends no reminders; a new incident notifies again.
        if reminder and ack and state and state.since and ack["at"] >= state.since:
            return f"acknowledged by {ack['actor']}"
        return None

    def acknowledge(self, check: str, actor: str) -> None:
        self._follow_up(check, ACKNOWLEDGED, actor, None, actor)

    def silence(self, check: str, actor: str, duration: timedelta) -> datetime:
        until = utcnow() + duration
        reason = f"{actor} for {humanize(duration)} (until {until:%Y-%m-%d %H:%M} UTC)"
        self._follow_up(check, SILENCED, actor, until, reason)
        return until

    def _follow_up(self, check: str, action: str, actor: str, until: datetime | None,
                   reason: str) -> None:
        """Record what a person did and tell the channels, as a short follow-up message."""
        if check not in self.checks:
            raise KeyError(check)
        now = utcnow()
        self.store.add_action(check, action, actor, now, until)
        self._actions = None
        event = AlarmEvent(check=check, new_state=action.upper(), kind=action, reason=reason,
                           since=now, tenant=getattr(self.checks[check], "state", None))
        key = f"{check}|{action}|{to_text(now)}"
        self.store.record(None, None, [NewEvent(key, event, now)], self._live_channels(), now)
        self.dispatcher.wake()

    def people(self, check: str) -> dict:
        """What people did to this check's alarm that still holds: for the pages."""
        now = utcnow()
        silence = self._person_actions().get((check, SILENCED))
        ack = self._person_actions().get((check, ACKNOWLEDGED))
        state = self._states.get(check) or self.store.load_state(check)
        return {
            "silenced": silence if silence and silence["until"] and now < silence["until"]
            else None,
            "acknowledged": ack if ack and state and state.state == ALARM and state.since
            and ack["at"] >= state.since else None,
        }

    def _live_channels(self) -> list[str]:
        disabled = {c["name"] for c in self.store.channels() if c["disabled"]}
        return [name for name in self.transports if name not in disabled]

    # -- the monitor's own health ---------------------------------------------------------

    def watch_store(self, result_store):
        """Wrap the result store so that a failing `save` raises a DEGRADED alert. `start()`
        also reads it to evaluate runs stored before a crash but never evaluated."""
        self._run_store = result_store
        return _WatchedStore(result_store, self)

    def store_failed(self, exc: BaseException) -> None:
        self._problem(
            "store", f"the result store is failing ({type(exc).__name__}: {str(exc)[:200]})"
        )

    def store_ok(self) -> None:
        if "store" in self._problems:
            self._resolve("store")

    def _observe_lag(self, result) -> None:
        if result.trigger != "scheduled" or result.scheduled_at is None:
            return
        lag = (result.started_at - result.scheduled_at).total_seconds()
        if lag > self.lag_threshold:
            self._on_time_streak = 0
            self._problem("lag", f"runs start {lag:.1f}s behind schedule")
            return
        self._on_time_streak += 1
        if self._on_time_streak >= 3:
            self._resolve("lag")
        self._resolve("restart")

    @property
    def degraded(self) -> str | None:
        return "; ".join(self._problems.values()) if self._problems else None

    def _problem(self, key: str, message: str) -> None:
        was_healthy = not self._problems
        self._problems[key] = message
        if was_healthy:
            self._monitor_event("DEGRADED", message)

    def _resolve(self, key: str) -> None:
        if self._problems.pop(key, None) is not None and not self._problems:
            self._monitor_event(OK, "checks are running again")

    def _monitor_event(self, new_state: str, reason: str) -> None:
        now = utcnow()
        saved = self.store.load_state(_MONITOR_KEY) or AlarmState(state=OK)
        since: datetime | None
        if new_state == "DEGRADED":
            state = AlarmState(state=ALARM, since=now, last_run_id=reason[:200])
            old, since, down = "OK", now, None
        else:
            state = AlarmState(state=OK, since=now)
            old, since = "DEGRADED", saved.since
            down = now - saved.since if saved.since else None
        self.metrics.monitor_degraded.set(1 if new_state == "DEGRADED" else 0)
        event = AlarmEvent(check=MONITOR, new_state=new_state, old_state=old, since=since,
                           down_for=down, reason=reason, kind=DEGRADED)
        anchor = to_text(saved.since if new_state == OK and saved.since else now)
        key = f"{MONITOR}|{new_state}|{anchor}"
        log.warning("%s", headline(event))
        self.store.record(
            _MONITOR_KEY, state, [NewEvent(key, event, now)], self._live_channels(), now
        )
        self.dispatcher.wake()

    async def _watchdog(self) -> None:
        """No result from a check for two intervals: its runs are not happening at all."""
        while True:
            await self._sleep(self.watchdog_every)
            now = self._monotonic()
            for name, check in self.checks.items():
                limit = (2 * check.interval.total_seconds() + check.timeout.total_seconds()
                         + self.stale_grace)
                silent = now - self._last_seen.get(name, now)
                if silent > limit:
                    self._problem(f"stale:{name}", f"no result from check {name} for {silent:.0f}s")

    def _channel_disabled(self, name: str, error: str) -> None:
        now = utcnow()
        description = self.transports[name].describe() if name in self.transports else name
        event = AlarmEvent(check=name, new_state="DISABLED", error=error, kind=CHANNEL_DISABLED,
                           reason=f"{description} answered with a permanent error: {error}",
                           since=now)
        key = f"channel|{name}|{to_text(now)}"
        channels = [c for c in self._live_channels() if c != name]
        self.store.record(None, None, [NewEvent(key, event, now)], channels, now)
        self.dispatcher.wake()

    # -- alerts that are no check's result ----------------------------------------------------

    def overdue_request(self, state: str, request_id: str, due: date, held: int) -> None:
        """An erasure request past its due date: one ALARM per request, through every live
        channel, like a canary's. Safe to call from a worker thread. The message names the
        request, never whom it concerns."""
        now = utcnow()
        why = f"request {request_id} was due {due.isoformat()}" + (
            f"; a legal hold blocks {held} record(s)" if held else "")
        event = AlarmEvent(check="erasure-request", new_state=ALARM, old_state=OK,
                           tenant=state, reason=why, kind=OVERDUE_REQUEST, since=now,
                           run_url=f"{self.base_url}/states/{state}/requests/{request_id}")
        created = self.store.record(None, None, [NewEvent(f"request|{request_id}|overdue",
                                                          event, now)],
                                    self._live_channels(), now)
        if created and self._loop is not None:
            self._loop.call_soon_threadsafe(self.dispatcher.wake)

    # -- dead man's switch ----------------------------------------------------------------

    async def _deadman_loop(self) -> None:
        """Ping an external watcher (e.g. healthchecks.io) while the monitor is healthy, so
        that a dead or wedged monitor is noticed by someone else."""
        assert self.deadman is not None
        url = self.deadman.url.get_secret_value()
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0)) as client:
            while True:
                if self.degraded is None:
                    try:
                        response = await client.get(url)
                        ok = response.status_code < 400
                        self.deadman_status = {"at": utcnow(), "ok": ok,
                                               "detail": f"HTTP {response.status_code}"}
                    except httpx.HTTPError as exc:
                        failure = type(exc).__name__
                        self.deadman_status = {"at": utcnow(), "ok": False, "detail": failure}
                        log.warning("dead-man's-switch ping to %s failed: %s",
                                    redact_url(url), failure)
                await self._sleep(self.deadman.interval.total_seconds())

    # -- read side, for the web pages -------------------------------------------------------

    def overview(self) -> dict:
        states = self.store.states()
        monitor = states.pop(_MONITOR_KEY, None)
        return {
            "states": [{"check": name,
                        "state": states[name].state if name in states else "INSUFFICIENT_DATA",
                        "since": states[name].since if name in states else None,
                        "known": name in self.checks, **self.people(name)}
                       for name in sorted(set(self.checks) | set(states))],
            "transitions": self.store.events(limit=50),
            "channels": self.store.channels(),
            "degraded": self.degraded,
            "monitor_since": monitor.since if monitor and monitor.state == ALARM else None,
            "deadman": self.deadman_status if self.deadman else None,
            "pending": self.store.pending_count(),
        }


# Persist a quiet check's state at least every this many runs; `catch_up` reads more than that.
CHECKPOINT_EVERY = 25


def _eventful(old: AlarmState, new: AlarmState) -> bool:
    """Whether this run must be written now: anything but a success of a check that is OK
    and has no failures in its recent history."""
    return (
        new.state != OK or old.state != OK or new.fail_streak > 0 or old.fail_streak > 0
        or any(not ok for _, ok in new.recent) or new.runs_seen % CHECKPOINT_EVERY == 0
    )


class _WatchedStore:
    """A result store whose failures the alarm service hears about."""

    def __init__(self, inner, service: AlarmService) -> None:
        self._inner = inner
        self._service = service

    def save(self, result):
        try:
            out = self._inner.save(result)
        except Exception as exc:
            self._service.store_failed(exc)
            raise
        self._service.store_ok()
        return out

    def __getattr__(self, name):
        return getattr(self._inner, name)
