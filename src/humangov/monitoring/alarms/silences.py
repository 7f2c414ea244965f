"""Maintenance windows and silences: one-off (start/end) or recurring (cron + duration).
They mute notifications only; checks keep running and transitions are still recorded."""

from __future__ import annotations

import fnmatch
from datetime import UTC, datetime

from croniter import croniter

from humangov.monitoring.alarms.policy import Silence


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def silence_active(silence: Silence, check: str, now: datetime) -> bool:
    if not any(fnmatch.fnmatchcase(check, pattern) for pattern in silence.checks):
        return False
    now = _aware(now)
    if silence.start is not None and silence.end is not None:
        start = _aware(datetime.fromisoformat(silence.start))
        end = _aware(datetime.fromisoformat(silence.end))
        return start <= now < end
    assert silence.cron is not None and silence.duration is not None  # Silence._shape checked it
    # The latest occurrence at or before now; active while within its duration. Cron times
    # are read in UTC. https://github.com/kiorky/croniter#usage
    last = croniter(silence.cron, now).get_prev(datetime)
    if croniter.match(silence.cron, now.replace(second=0, microsecond=0)):
        last = max(last, now.replace(second=0, microsecond=0))
    return _aware(last) <= now < _aware(last) + silence.duration


def muting_silence(silences: list[Silence], check: str, now: datetime) -> str | None:
    """The name of the first silence muting `check` at `now`, or None."""
    for silence in silences:
        if silence_active(silence, check, now):
            return silence.name
    return None


def validate(silences: list[Silence]) -> list[str]:
    """Problems a pydantic model cannot see: bad cron or ISO times. One line each."""
    problems = []
    for i, silence in enumerate(silences):
        if silence.cron is not None and not croniter.is_valid(silence.cron):
            problems.append(f"silences[{i}].cron: {silence.cron!r} is not a cron expression")
        for field in ("start", "end"):
            value = getattr(silence, field)
            if value is not None:
                try:
                    datetime.fromisoformat(value)
                except ValueError:
                    problems.append(f"silences[{i}].{field}: {value!r} is not an ISO-8601 time")
    return problems
