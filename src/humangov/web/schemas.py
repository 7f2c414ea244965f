"""API schemas, split by direction. Responses are built by the `*_json` functions (serialised
once with orjson); the pydantic models document them in /openapi.json."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from humangov.domain.model import Employee, HistoryEntry


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
    salary: str = Field(description="Annual salary in USD, an exact decimal string", examples=["55000.00"])
    document: DocumentPublic | None
    created_at: datetime
    updated_at: datetime
    version: int


class EmployeePage(BaseModel):
    items: list[EmployeePublic]
    next_cursor: str | None


class EmployeeUpdate(BaseModel):
    """Fields to change; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    first_name: str | None = Field(None, min_length=1, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100)
    role: str | None = Field(None, min_length=1, max_length=100)
    salary: str | float | int | None = Field(None, description="Annual salary in USD, >= 0")


class FieldChangePublic(BaseModel):
    field: str
    old: str | None
    new: str | None


class HistoryEntryPublic(BaseModel):
    action: str
    actor: str
    at: datetime
    changes: list[FieldChangePublic]


EMPLOYEE_FORM = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["first_name", "last_name", "role", "salary", "document"],
                "properties": {
                    "first_name": {"type": "string", "maxLength": 100},
                    "last_name": {"type": "string", "maxLength": 100},
                    "role": {"type": "string", "maxLength": 100},
                    "salary": {"type": "string", "description": "Annual salary in USD, >= 0"},
                    "document": {"type": "string", "format": "binary", "description": "Scanned ID, PDF"},
                },
            }
        }
    },
}

DOCUMENT_FORM = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["document"],
                "properties": {"document": {"type": "string", "format": "binary"}},
            }
        }
    },
}


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
    }


def history_json(h: HistoryEntry) -> dict:
    return {
        "action": h.action,
        "actor": h.actor,
        "at": h.at.isoformat(),
        "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in h.changes],
    }
