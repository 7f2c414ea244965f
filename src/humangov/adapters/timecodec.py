"""How every store writes a moment as text and reads it back.

Fixed-width ISO-8601 in UTC with microseconds (`2026-01-01T12:00:00.000000+00:00`): every
value has the same width, so stored times compare and sort as text, in SQLite columns and in
DynamoDB key attributes alike.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime


@functools.lru_cache(maxsize=4096)  # bulk imports stamp thousands of rows with one time
def to_text(moment: datetime) -> str:
    """Naive times are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


# The inverse of to_text, bound directly: listings and exports call it twice per row.
from_text = datetime.fromisoformat


def to_optional_text(moment: datetime | None) -> str | None:
    return None if moment is None else to_text(moment)


def from_optional_text(value: str | None) -> datetime | None:
    """For nullable columns: None (or an empty value) stays None."""
    return from_text(value) if value else None
