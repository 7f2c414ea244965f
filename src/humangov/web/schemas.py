"""API schemas, split by direction. Responses are built by the `*_json` functions (serialised
once with orjson); the pydantic models document them in /openapi.json. Request rules are
written once here and enforced by the same objects that document them: `EmployeeQuery` for
listings (both twins of the lean route), `check_employee_fields` for the employee forms."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Header, Path
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from humangov.domain.errors import InvalidInput
from humangov.domain.model import (
    MAX_NAME,
    MAX_ROLE,
    MAX_SALARY,
    MAX_SEPARATION_REASON,
    Employee,
    HistoryEntry,
    validate_fields,
)
from humangov.ports import Order

# No control or text-direction character (the domain's FORBIDDEN_CHARACTERS) anywhere, and
# something besides what str.split() treats as space (which the domain collapses in names).
_ALLOWED = r"[^\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]"
_VISIBLE = (r"[^\x00-\x20\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202a-\u202f\u205f"
            r"\u2066-\u2069\u3000]")
HAS_TEXT = rf"^{_ALLOWED}*{_VISIBLE}{_ALLOWED}*$"
# Digits, at most two decimals, up to the cap: the cap itself, or fewer digits than it has.
SALARY_PATTERN = (rf"^({MAX_SALARY}(\.0{{1,2}})?"
                  rf"|[0-9]{{1,{len(str(MAX_SALARY)) - 1}}}(\.[0-9]{{1,2}})?)$")
# Our cursors are urlsafe base64 without padding; an empty one means the first page.
CURSOR_PATTERN = "^[A-Za-z0-9_-]*$"
CURSOR_RULE = ("The next_cursor of the previous page, exactly as given; "
               "any other value answers 422.")
IF_MATCH_PATTERN = r'^(\*|(W/)?"[0-9]+"|[0-9]+)$'
_IF_MATCH = re.compile(IF_MATCH_PATTERN)
_SALARY = re.compile(SALARY_PATTERN)

EmployeeId = Annotated[str, Path(
    description="The employee's id, a UUID; any other value answers 404",
    json_schema_extra={"format": "uuid"})]
IfMatch = Annotated[str | SkipJsonSchema[None], Header(
    description="The version you read (the ETag); 412 if it is no longer the current one",
    json_schema_extra={"pattern": IF_MATCH_PATTERN})]


class StatePublic(BaseModel):
    code: str = Field(examples=["CA"])
    name: str = Field(examples=["California"])


class DocumentPublic(BaseModel):
    size: int
    sha256: str


class EmployeePublic(BaseModel):
    id: str
    state: str
    first_name: str
    last_name: str
    role: str
    salary: str = Field(
        description="Annual salary in USD, an exact decimal string", examples=["55000.00"]
    )
    document: DocumentPublic | None
    created_at: datetime
    updated_at: datetime
    version: int
    number: int = Field(description="The state's employee number: assigned when the record "
                        "is added, counting up per state, never reused (0: none yet)")
    separated_on: date | None = Field(None, description="Set once the employee is separated")
    separation_reason: str | None = None


class EmployeePage(BaseModel):
    items: list[EmployeePublic]
    next_cursor: str | None
    prev_cursor: str | None = Field(
        None, description="The previous page's cursor, on pages reached by a cursor (absent "
        "on searches)")
    total: int | None = Field(None, description="With total=true: how many employees the "
                              "listing holds (the role filter applied; absent on searches)")


class EmployeeQuery(BaseModel):
    """A page of a state's employees: matches of `q`, or everyone in the order `sort` and
    `order` give (ties broken by last name, first name and id), optionally of one role."""

    model_config = ConfigDict(frozen=True)  # one parsed query serves many requests

    q: str | SkipJsonSchema[None] = Field(
        None, max_length=100, description="Search first name, last name and role"
    )
    limit: int = Field(50, ge=1, le=200)
    # pydantic leaves the pattern of an optional string out of its schema: stated again.
    cursor: str | SkipJsonSchema[None] = Field(
        None,
        max_length=512,
        pattern=CURSOR_PATTERN,
        description=CURSOR_RULE,
        json_schema_extra={"pattern": CURSOR_PATTERN},
    )
    sort: Literal["name", "role", "salary", "updated"] = Field(
        "name", description="name (last, first), role, salary or updated (last change). "
        "On AWS (DynamoDB) only name: see docs/api.md")
    order: Literal["asc", "desc"] = "asc"
    role: str | SkipJsonSchema[None] = Field(
        None, max_length=MAX_ROLE, description="Only this role (exact, any letter case)")
    start: str | SkipJsonSchema[None] = Field(
        None, max_length=MAX_NAME,
        description="Jump: the first page starts at last names from this text (sort=name, asc)")
    total: bool = Field(False, description="Also count the listing (the `total` field)")
    separated: bool = Field(False, description="true: the separated employees alone")

    def ordering(self) -> Order:
        return Order(self.sort, self.order == "desc", self.role or None, self.start or None)


def _iso_date(value: Any) -> Any:
    # JSON has no dates: the schema's string alone, not the numbers lax parsing would take.
    if not isinstance(value, str):
        raise ValueError("must be a date as text, such as 2026-06-30")
    return value


class SeparationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    separated_on: Annotated[date, BeforeValidator(_iso_date)] = Field(examples=["2026-06-30"])
    reason: str = Field(max_length=MAX_SEPARATION_REASON, pattern=HAS_TEXT,
                        examples=["resigned"])


class FieldChangePublic(BaseModel):
    field: str
    old: str | None
    new: str | None


class HistoryEntryPublic(BaseModel):
    action: str
    actor: str
    at: datetime
    changes: list[FieldChangePublic]


def _text(limit: int) -> dict[str, Any]:
    return {
        "type": "string",
        "maxLength": limit,
        "pattern": HAS_TEXT,
        "description": f"At most {limit} characters; runs of spaces count as one space",
    }


SALARY_TEXT = {
    "type": "string",
    "pattern": SALARY_PATTERN,
    "description": f"Annual salary in USD, 0 to {MAX_SALARY}, at most two decimals: 55000.50",
}
FIELD_SCHEMAS = {
    "first_name": _text(MAX_NAME),
    "last_name": _text(MAX_NAME),
    "role": _text(MAX_ROLE),
    "salary": SALARY_TEXT,
}
PDF_FILE = {"type": "string", "format": "binary", "description": "The scanned ID, a PDF"}
PDF_ENCODING = {"document": {"contentType": "application/pdf"}}


def _multipart(properties: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "object", "required": list(properties), "properties": properties}
    form = {"schema": schema, "encoding": PDF_ENCODING}
    return {"required": True, "content": {"multipart/form-data": form}}


EMPLOYEE_FORM = _multipart({**FIELD_SCHEMAS, "document": PDF_FILE})
DOCUMENT_FORM = _multipart({"document": PDF_FILE})
EMPLOYEE_CHANGES = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "title": "EmployeeChanges",
                "description": "Fields to change; omitted fields stay as they are.",
                "type": "object",
                "minProperties": 1,
                "additionalProperties": False,
                "properties": {
                    **FIELD_SCHEMAS,
                    "salary": {
                        "anyOf": [
                            SALARY_TEXT,
                            {
                                "type": "integer",
                                "minimum": 0,
                                "maximum": int(MAX_SALARY),
                                "description": "Whole dollars",
                            },
                        ]
                    },
                },
            }
        }
    },
}


def check_employee_fields(raw: dict[str, Any], *, partial: bool) -> None:
    """The employee fields as FIELD_SCHEMAS documents them. The domain's rules come first, for
    their precise messages; the API then refuses the spellings the domain would tolerate but
    the schema does not promise (padded or exponent salaries, names over the limit before
    their spaces are collapsed)."""
    validate_fields(raw, partial=partial)
    for name in ("first_name", "last_name", "role"):
        limit = FIELD_SCHEMAS[name]["maxLength"]
        if name in raw and len(raw[name]) > limit:
            raise InvalidInput(f"{name} must be at most {limit} characters.", field=name)
    salary = raw.get("salary")
    # JSON's integers (5 and 5.0), not bools
    whole = type(salary) is int or type(salary) is float and salary.is_integer()
    if salary is not None and not (whole or isinstance(salary, str) and _SALARY.fullmatch(salary)):
        raise InvalidInput(
            "salary must be a whole number of dollars or a string of digits with at "
            'most two decimals, such as "55000.50".',
            field="salary",
        )


def parse_if_match(value: str | None) -> int | None:
    """The version an If-Match names; None when absent or `*`."""
    if value is None or value == "*":
        return None
    if not _IF_MATCH.fullmatch(value):
        raise InvalidInput(
            'If-Match must be the employee\'s version, such as 3 or "3".', field="If-Match"
        )
    return int(value.removeprefix("W/").strip('"'))


def employee_json(e: Employee) -> dict:
    return {
        "id": e.id,
        "state": e.state,
        "first_name": e.first_name,
        "last_name": e.last_name,
        "role": e.role,
        "salary": f"{e.salary:.2f}",
        "document": {"size": e.document.size, "sha256": e.document.sha256} if e.document else None,
        "created_at": e.created_at.isoformat(),
        "updated_at": e.updated_at.isoformat(),
        "version": e.version,
        "number": e.number,
        "separated_on": e.separated_on.isoformat() if e.separated_on else None,
        "separation_reason": e.separation_reason,
    }


def history_json(h: HistoryEntry) -> dict:
    return {
        "action": h.action,
        "actor": h.actor,
        "at": h.at.isoformat(),
        "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in h.changes],
    }
