"""How pages word and show things that have one rule everywhere.

Moments: a state's pages show the state's local time (its capital's zone, named: "PST"), with
UTC on hover; pages that span states show UTC, named. The `datetime` attribute carries the
exact instant for machines."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from humangov.domain.states import STATE_ZONES


@cache
def _zone(state: str | None) -> ZoneInfo | None:
    name = STATE_ZONES.get((state or "").upper())
    return ZoneInfo(name) if name else None


def when(moment: datetime | None, state: str | None = None, *, seconds: bool = False,
         empty: str = "–") -> Markup:
    """`<time>` for `moment` (naive values are UTC, as stored), local to `state` if given."""
    if moment is None:
        return Markup(escape(empty))
    instant = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    shape = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    utc = f"{instant.strftime(shape)} UTC"
    zone = _zone(state)
    if zone is None:
        return Markup('<time datetime="{}">{}</time>').format(instant.isoformat(), utc)
    local = instant.astimezone(zone)
    return Markup('<time datetime="{}" title="{}">{} {}</time>').format(
        instant.isoformat(), utc, local.strftime(shape), local.tzname())


# What a history entry's action means to a reader (humangov.domain.model.History.action).
HISTORY_LABELS = {
    "added": "Added",
    "moved": "Role changed",
    "changed": "Details changed",
    "document-replaced": "Document replaced",
    "deleted": "Deleted",
}


def history_label(action: str) -> str:
    return HISTORY_LABELS.get(action, action.replace("-", " ").capitalize())
