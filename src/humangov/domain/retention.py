"""Retention schedules: how long a separated employee's document and record are kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from humangov.domain.errors import InvalidInput

MAX_YEARS = 100
DOCUMENT, RECORD = "document", "record"


@dataclass(frozen=True, slots=True)
class Schedule:
    """A state's schedule. A period of None keeps that part for ever (the default: off)."""

    state: str
    document_years: int | None = None
    record_years: int | None = None
    set_by: str | None = None
    set_at: datetime | None = None

    def due(self, what: str, separated_on: date) -> date | None:
        """The day `what` (DOCUMENT or RECORD) of an employee separated on that day expires."""
        years = self.document_years if what == DOCUMENT else self.record_years
        return None if years is None else add_years(separated_on, years)

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "document_years": self.document_years,
                "record_years": self.record_years, "set_by": self.set_by,
                "set_at": self.set_at.isoformat() if self.set_at else None}


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def cutoff(today: date, years: int) -> date:
    """A bound for a store's query: every separation whose period of `years` has ended by
    `today` is on or before it (a day late around 29 February; `Schedule.due` decides)."""
    try:
        return today.replace(year=today.year - years) + timedelta(days=1)
    except ValueError:  # today is 29 February
        return today.replace(year=today.year - years, day=28) + timedelta(days=1)


def parse_years(name: str, value: Any) -> int | None:
    """A period in whole years, or None (an empty value, "off" or "none") to keep for ever."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "off", "none")):
        return None
    try:
        years = int(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number of years, or off; got "
                           f"{str(value)[:20]!r}.", field=name) from None
    if not 1 <= years <= MAX_YEARS:
        raise InvalidInput(f"{name} must be between 1 and {MAX_YEARS} years.", field=name)
    return years
