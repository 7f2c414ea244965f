"""The pure alarm evaluator: `evaluate(state, result, policy) -> (state, transitions)`.

No I/O and no clock: everything it needs is in its arguments, so the table-driven tests can
replay any sequence of runs. Alert on transitions, not on each failed run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from humangov.monitoring.alarms.policy import AlarmPolicy

OK = "OK"
ALARM = "ALARM"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
STATES = (OK, ALARM, INSUFFICIENT_DATA)

# The history kept for m_of_n / failures_within is bounded; a window of more runs than this
# is refused nowhere, so it simply counts the last MAX_HISTORY runs.
MAX_HISTORY = 1000


@dataclass(frozen=True, slots=True)
class ResultView:
    """What the evaluator needs of a run."""

    run_id: str
    ok: bool
    at: datetime  # when the run started


@dataclass(frozen=True, slots=True)
class AlarmState:
    state: str = INSUFFICIENT_DATA
    since: datetime | None = None  # when `state` was entered
    runs_seen: int = 0
    fail_streak: int = 0
    ok_streak: int = 0
    # (started_at, ok) of recent runs, oldest first; only kept for m_of_n / failures_within.
    recent: tuple[tuple[datetime, bool], ...] = ()
    failing_since: datetime | None = None  # first failed run since the last success
    incident_since: datetime | None = None  # first failed run of the current ALARM
    last_notified_at: datetime | None = None  # of the ALARM or its last reminder
    last_run_id: str = ""


@dataclass(frozen=True, slots=True)
class Transition:
    run_id: str
    old_state: str
    new_state: str
    at: datetime
    kind: str = "state"  # "state" or "reminder"
    since: datetime | None = None  # when the problem started (first failed run)
    down_for: timedelta | None = None  # for a recovery from ALARM
    notify: bool = True  # INSUFFICIENT_DATA -> OK is recorded but says nothing worth a message


def condition_met(state: AlarmState, policy: AlarmPolicy, now: datetime) -> bool:
    if policy.failures_in_a_row is not None:
        return state.fail_streak >= policy.failures_in_a_row
    if policy.m_of_n is not None:
        m, n = policy.m_of_n
        return sum(1 for _, ok in state.recent[-n:] if not ok) >= m
    if policy.failures_within is not None:
        start = now - policy.failures_within.window
        failures = sum(1 for at, ok in state.recent if not ok and at >= start)
        return failures >= policy.failures_within.count
    return False


def _runs_needed(policy: AlarmPolicy) -> int:
    """Runs a new check needs before it can be declared OK."""
    return policy.m_of_n[1] if policy.m_of_n is not None else 1


def _keep_recent(recent: tuple, policy: AlarmPolicy, now: datetime) -> tuple:
    if policy.m_of_n is not None:
        return recent[-policy.m_of_n[1]:]
    if policy.failures_within is not None:
        start = now - policy.failures_within.window
        return tuple(item for item in recent if item[0] >= start)[-MAX_HISTORY:]
    return ()


def evaluate(
    state: AlarmState, result: ResultView, policy: AlarmPolicy
) -> tuple[AlarmState, list[Transition]]:
    if state.last_run_id and result.run_id <= state.last_run_id:
        return state, []  # already seen (a replay after a crash, or an older run arriving late)

    now = result.at
    s = replace(
        state,
        runs_seen=state.runs_seen + 1,
        fail_streak=0 if result.ok else state.fail_streak + 1,
        ok_streak=state.ok_streak + 1 if result.ok else 0,
        recent=_keep_recent(state.recent + ((now, result.ok),), policy, now),
        failing_since=None if result.ok else (state.failing_since or now),
        last_run_id=result.run_id,
    )
    out: list[Transition] = []

    if s.state != ALARM and condition_met(s, policy, now):
        since = s.failing_since or now
        out.append(Transition(result.run_id, s.state, ALARM, now, since=since))
        s = replace(s, state=ALARM, since=now, incident_since=since, last_notified_at=now)
    elif s.state == ALARM and s.ok_streak >= policy.recover_after:
        down = now - s.incident_since if s.incident_since else None
        out.append(Transition(result.run_id, ALARM, OK, now, since=s.incident_since, down_for=down))
        # A fresh start: failures before the recovery don't count toward the next incident.
        s = replace(s, state=OK, since=now, recent=(), incident_since=None, last_notified_at=None)
    elif (
        s.state == INSUFFICIENT_DATA and result.ok and s.runs_seen >= _runs_needed(policy)
    ):
        out.append(Transition(result.run_id, INSUFFICIENT_DATA, OK, now, notify=False))
        s = replace(s, state=OK, since=now)
    elif (
        s.state == ALARM
        and policy.remind_every is not None
        and s.last_notified_at is not None
        and now - s.last_notified_at >= policy.remind_every
    ):
        out.append(
            Transition(result.run_id, ALARM, ALARM, now, kind="reminder", since=s.incident_since)
        )
        s = replace(s, last_notified_at=now)
    return s, out
