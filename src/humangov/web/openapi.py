"""What /openapi.json promises beyond what FastAPI infers from the routes: every error an
operation can answer (as application/problem+json), and how callers authenticate.

Schemathesis checks the promise against the running app (tests/api/test_fuzz.py)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

# RFC 9457 plus our extensions: `field` names the input to blame, `errors` lists every failed
# rule of a 422, `checks` says which dependency /readyz found failing.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "field": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "msg": {"type": "string"},
                },
            },
        },
        "checks": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}

MEANING = {
    400: "The body is malformed (multipart or JSON)",
    401: "No credentials, or credentials that are not valid",
    403: "Your role may not do this",
    404: "No such state, employee or resource, or not one you may see",
    409: "The email is taken, or the change would leave no enabled platform admin",
    412: "If-Match names a version other than the current one",
    413: "The document is larger than the limit",
    415: "The document is not a PDF",
    422: "An input breaks a documented rule; `field` names it",
    503: "The database or the document store is not answering",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entries for errors, each documented as problem+json."""
    return {
        status: {"description": MEANING[status], "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}
        for status in statuses
    }


# The error sets shared by the routes: authenticated reads of one state, and writes to it.
READ_PROBLEMS = problems(401, 404, 422, 503)
WRITE_PROBLEMS = problems(401, 403, 404, 422, 503)


def install(app: FastAPI) -> None:
    """Add the Problem schema and the bearer scheme to the document FastAPI generates."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = generate()  # FastAPI keeps it as app.openapi_schema: completed once, here
        components = spec.setdefault("components", {})
        components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        components["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "An API token from `humangov tokens create`"},
        }
        spec["security"] = [{"bearer": []}]
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
