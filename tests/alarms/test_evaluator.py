"""The pure evaluator, table-driven: a sequence of runs in, the transitions out."""

from datetime import UTC, datetime, timedelta

import pytest

from humangov.monitoring.alarms.evaluator import AlarmState, ResultView, evaluate
from humangov.monitoring.alarms.policy import AlarmPolicy, FailuresWithin

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def replay(policy: AlarmPolicy, runs: str, step: timedelta = timedelta(seconds=5)):
    """'.' is a success, 'x' a failure. Returns the final state and the transitions as
    '<index>:<OLD>-><NEW>' (reminders as '<index>:reminder')."""
    state, out = AlarmState(), []
    for i, ch in enumerate(runs):
        view = ResultView(f"{i:06d}", ch == ".", T0 + i * step)
        state, transitions = evaluate(state, view, policy)
        for t in transitions:
            reminder = t.kind == "reminder"
            out.append(f"{i}:reminder" if reminder else f"{i}:{t.old_state}->{t.new_state}")
    return state, out


@pytest.mark.parametrize(
    ("policy", "runs", "expected"),
    [
        # the default: two failures in a row
        (AlarmPolicy(), ".", ["0:INSUFFICIENT_DATA->OK"]),
        (AlarmPolicy(), "x", []),
        (AlarmPolicy(), "xx", ["1:INSUFFICIENT_DATA->ALARM"]),
        (AlarmPolicy(), ".x.x.x", ["0:INSUFFICIENT_DATA->OK"]),
        (AlarmPolicy(), ".xxxx.", ["0:INSUFFICIENT_DATA->OK", "2:OK->ALARM", "5:ALARM->OK"]),
        (AlarmPolicy(failures_in_a_row=3), ".xx.xxx", ["0:INSUFFICIENT_DATA->OK", "6:OK->ALARM"]),
        # recover_after needs that many successes in a row
        (AlarmPolicy(recover_after=2), ".xx.x..",
         ["0:INSUFFICIENT_DATA->OK", "2:OK->ALARM", "6:ALARM->OK"]),
        # m of n
        (AlarmPolicy(m_of_n=(2, 3)), "...x.x", ["2:INSUFFICIENT_DATA->OK", "5:OK->ALARM"]),
        (AlarmPolicy(m_of_n=(2, 3)), "...x..x", ["2:INSUFFICIENT_DATA->OK"]),
        (AlarmPolicy(m_of_n=(3, 5)), "x.x", []),  # still too few runs to say OK
        # failures within a time window (runs 5 s apart)
        (AlarmPolicy(failures_within=FailuresWithin(count=3, window=timedelta(seconds=20))),
         ".x.x.x", ["0:INSUFFICIENT_DATA->OK", "5:OK->ALARM"]),
        (AlarmPolicy(failures_within=FailuresWithin(count=3, window=timedelta(seconds=12))),
         ".x..x..x", ["0:INSUFFICIENT_DATA->OK"]),
        # reminders are off by default, and repeat at their interval when on
        (AlarmPolicy(), ".xxxxxxx", ["0:INSUFFICIENT_DATA->OK", "2:OK->ALARM"]),
        (AlarmPolicy(remind_every=timedelta(seconds=10)), ".xxxxxx.",
         ["0:INSUFFICIENT_DATA->OK", "2:OK->ALARM", "4:reminder", "6:reminder", "7:ALARM->OK"]),
    ],
)
def test_a_sequence_of_runs_yields_exactly_these_transitions(policy, runs, expected):
    _, transitions = replay(policy, runs)
    assert transitions == expected


def test_a_recovery_says_how_long_the_check_was_down():
    state = AlarmState()
    for i, ok in enumerate([True, False, False, False, True]):
        view = ResultView(f"{i}", ok, T0 + i * timedelta(seconds=5))
        state, transitions = evaluate(state, view, AlarmPolicy())
    assert transitions[0].new_state == "OK"
    # first failure at 5 s, recovery at 20 s
    assert transitions[0].down_for == timedelta(seconds=15)
    assert transitions[0].since == T0 + timedelta(seconds=5)


def test_evaluating_the_same_run_twice_changes_nothing():
    state, _ = replay(AlarmPolicy(), ".x")
    again, transitions = evaluate(state, ResultView("000001", False, T0), AlarmPolicy())
    assert again is state and transitions == []


def test_failures_after_a_recovery_start_a_fresh_count():
    _, transitions = replay(AlarmPolicy(m_of_n=(2, 4)), "....xx.x.")
    assert transitions == ["3:INSUFFICIENT_DATA->OK", "5:OK->ALARM", "6:ALARM->OK"]


def test_two_alarm_conditions_at_once_are_refused():
    with pytest.raises(ValueError, match="give only one alarm condition"):
        AlarmPolicy(failures_in_a_row=2, m_of_n=(2, 3))
