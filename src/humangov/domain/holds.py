"""Legal holds: while a matter is open, nothing in its scope is erased."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Hold:
    """A hold on one state's employees (`employee_ids`), or on the whole state (empty).

    Released holds are kept, with who released them and when, as the record of the matter."""

    id: str
    state: str
    matter: str
    employee_ids: tuple[str, ...]  # () holds the whole state
    placed_by: str
    placed_at: datetime
    released_by: str | None = None
    released_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.released_at is None

    @property
    def whole_state(self) -> bool:
        return not self.employee_ids

    def covers(self, state: str, employee_id: str | None) -> bool:
        """Does this hold, while active, keep `employee_id` of `state` (None: an object no
        employee owns, which only a whole-state hold keeps)?"""
        if not self.active or state != self.state:
            return False
        return self.whole_state or (employee_id is not None and employee_id in self.employee_ids)

    @property
    def scope(self) -> str:
        return "whole state" if self.whole_state else ", ".join(self.employee_ids)


def held_reason(hold: Hold) -> str:
    """What a waiting erasure says about the hold keeping it."""
    return f"held: legal hold {hold.id} ({hold.matter}) placed by {hold.placed_by}"


# The hold covering an employee of a state (or an object no employee owns: None), or None.
IsHeld = Callable[[str, "str | None"], "Hold | None"]


def never_held(state: str, employee_id: str | None) -> Hold | None:
    """For a store of no holds (a test's worker)."""
    return None
