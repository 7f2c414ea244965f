"""Employees, their documents and their history."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from humangov.domain.errors import InvalidInput, StaleVersion

MAX_NAME = 100
MAX_ROLE = 100
MAX_SEPARATION_REASON = 200
MAX_SALARY = Decimal(100000000)  # one hundred million USD a year is not a salary, it's a typo
EDITABLE_FIELDS = ("first_name", "last_name", "role", "salary")


def new_id() -> str:
    """A random (version 4) UUID as text, about three times faster than str(uuid.uuid4()),
    which matters when an import mints one per row."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """A stored PDF. The key carries no personal data: `<employee id>/<document id>.pdf`."""

    id: str
    key: str
    size: int
    sha256: str

    @staticmethod
    def key_for(employee_id: str, document_id: str) -> str:
        return f"{employee_id}/{document_id}.pdf"

    @classmethod
    def new(cls, employee_id: str, size: int, sha256: str,
            document_id: str | None = None) -> DocumentRef:
        doc_id = document_id or new_id()
        return cls(doc_id, cls.key_for(employee_id, doc_id), size, sha256)


@dataclass(frozen=True, slots=True)
class Employee:
    id: str
    state: str
    first_name: str
    last_name: str
    role: str
    salary: Decimal
    document: DocumentRef | None
    created_at: datetime
    updated_at: datetime
    version: int = 1
    synthetic: bool = False
    # The state's employee number, assigned by the store when the record is added (0 until
    # then): monotonic per state and never reused, so "#1042" names one person for good.
    number: int = 0
    separated_on: date | None = None  # separated employees keep their record and history
    separation_reason: str | None = None

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    def with_changes(self, changes: dict[str, Any], now: datetime) -> Employee:
        return replace(self, **changes, updated_at=now, version=self.version + 1)


def parse_separation(on: Any, reason: Any) -> tuple[date, str]:
    """A separation's date (ISO `YYYY-MM-DD`) and reason (text, such as "resigned")."""
    try:
        when = on if isinstance(on, date) else date.fromisoformat(str(on).strip())
    except ValueError:
        raise InvalidInput(f"separated_on must be a date such as 2026-06-30; got {str(on)[:40]!r}.",
                           field="separated_on") from None
    return when, clean_text("reason", reason, MAX_SEPARATION_REASON)


def check_version(employee_id: str, expected: int | None, current: int) -> None:
    """Optimistic concurrency: a change made from version `expected` applies only while the
    stored employee is still at that version (no expectation: the caller takes the latest)."""
    if expected is not None and current != expected:
        raise StaleVersion(
            f"Employee {employee_id} has changed since version {expected} was read. "
            "Reload it to see the current version, then retry your change."
        )


class FieldChange(NamedTuple):
    # A NamedTuple rather than a frozen dataclass: imports build one per field per row.
    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    employee_id: str
    state: str
    action: str  # added | moved | changed | document-replaced | separated | retention-expired
    actor: str
    at: datetime
    changes: tuple[FieldChange, ...] = field(default_factory=tuple)


# C0 controls, DEL, and the bidi embeddings, overrides and isolates that make text display
# in another order than it is stored (a name that reads differently than it sorts and exports).
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def clean_text(name: str, value: Any, max_len: int) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text.", field=name)
    if (bad := FORBIDDEN_CHARACTERS.search(value)) is not None:
        raise InvalidInput(
            f"{name} contains a control or text-direction character "
            f"(U+{ord(bad.group()):04X}); remove it.", field=name)
    text = " ".join(value.split())
    if not text:
        raise InvalidInput(f"{name} is required and cannot be blank.", field=name)
    if len(text) > max_len:
        raise InvalidInput(f"{name} must be at most {max_len} characters.", field=name)
    return text


def csv_safe(cell: str) -> str:
    """A cell a spreadsheet shows as text: a leading formula character gets a `'` first, and
    control or text-direction characters (in data stored before they were refused) show as
    U+FFFD."""
    text = FORBIDDEN_CHARACTERS.sub("\ufffd", cell)
    return "'" + text if cell.startswith(FORMULA_STARTS) else text


def parse_salary(value: Any) -> Decimal:
    """An annual salary in USD: exact decimal, at least 0, at most two decimal places."""
    if isinstance(value, bool) or value is None:
        raise InvalidInput("salary must be a number of US dollars, such as 55000.00.",
                           field="salary")
    try:
        amount = (value if isinstance(value, Decimal)
                  else Decimal(str(value).strip().replace(",", "")))
    except InvalidOperation:
        raise InvalidInput(
            f"salary must be a number of US dollars, such as 55000.00; got {str(value)[:40]!r}.",
            field="salary",
        ) from None
    if not amount.is_finite():
        raise InvalidInput("salary must be a finite number.", field="salary")
    if amount < 0:
        raise InvalidInput("salary cannot be negative.", field="salary")
    if amount > MAX_SALARY:
        raise InvalidInput(f"salary must be at most {MAX_SALARY:,}.", field="salary")
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput("salary can have at most two decimal places (cents).", field="salary")
    return amount.quantize(Decimal("0.01"))


def validate_fields(raw: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validate employee fields; with partial=True only those present are checked."""
    unknown = set(raw) - set(EDITABLE_FIELDS)
    if unknown:
        name = min(unknown)
        raise InvalidInput(
            f"{name} is not a field that can be set; use {', '.join(EDITABLE_FIELDS)}.", field=name
        )
    out: dict[str, Any] = {}
    for name, limit in (("first_name", MAX_NAME), ("last_name", MAX_NAME), ("role", MAX_ROLE)):
        if name in raw:
            out[name] = clean_text(name, raw[name], limit)
        elif not partial:
            raise InvalidInput(f"{name} is required.", field=name)
    if "salary" in raw:
        out["salary"] = parse_salary(raw["salary"])
    elif not partial:
        raise InvalidInput("salary is required.", field="salary")
    return out


def diff(before: Employee, changes: dict[str, Any]) -> tuple[FieldChange, ...]:
    out = []
    for name in EDITABLE_FIELDS:
        if name in changes and changes[name] != getattr(before, name):
            out.append(FieldChange(name, str(getattr(before, name)), str(changes[name])))
    return tuple(out)


def action_for(changes: tuple[FieldChange, ...]) -> str:
    """A role change is a move; anything else is a change."""
    return "moved" if any(c.field == "role" for c in changes) else "changed"
