"""Schemathesis holds the API to its own document, as `st run --checks all` does: every
operation in /openapi.json, every check (documented statuses, content types and schemas,
data the rules accept or refuse, 405 with Allow, the links between operations), for a
platform admin, a state editor and a viewer.

Seeded and derandomised, so a run tries the same cases each time: a small run is part of
the default suite, a larger one is marked slow."""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.generation.meta import TestPhase

from humangov.bootstrap import bootstrap
from humangov.config import Settings
from humangov.web.app import create_app
from tests.conftest import PDF

CALLERS = {"admin": None, "editor": "CA", "viewer": "CA"}
LISTING = "/api/v1/states/{code}/employees"
# A well-formed If-Match naming another version is refused with 412 by design, as a
# conflicting write is with 409 (which schemathesis already expects).
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "412", "429", "5xx"]

# The only files the API takes are documents, and a document must be a PDF: a rule about
# content that no schema can state.
schemathesis.openapi.format("binary", st.binary(max_size=64).map(lambda tail: PDF + tail))


@dataclass
class Run:
    cases: int
    failures: list[str]


def fuzz(data_dir, role: str, *, examples: int, stateful_examples: int) -> Run:
    container = bootstrap(Settings(environment="test", data_dir=data_dir, monitoring=False,
                                   max_document_bytes=64 * 1024))
    try:
        for code in ("CA", "TX"):
            container.personnel.add_state(code)
        token, _ = container.accounts.create_token(role, CALLERS[role], name=f"fuzz-{role}")
        app = create_app(container)
        cursors = _issued_cursors(container, app)
        config = SchemathesisConfig.from_dict({
            "seed": 20240601,
            "workers": 1,
            "cache": {"enabled": False},
            "headers": {"Authorization": f"Bearer {token}"},
            "generation": {"max-examples": examples, "deterministic": True, "database": "none"},
            "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
            # Stateful runs follow the links the document declares, not guessed ones.
            "phases": {"stateful": {"generation": {"max-examples": stateful_examples},
                                    "inference": {"algorithms": []}}},
        })
        schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
        schema.hook("map_case")(_aim(container, cursors))
        schema.hook("filter_case")(_sendable)
        return _execute(schema)
    finally:
        container.close()


def _issued_cursors(container, app) -> list[str]:
    """Every next_cursor of the CA listing, one employee a page: the only cursors the API
    promises to take."""
    for n in range(3):
        _add_employee(container, f"Seed{n}")
    token, _ = container.accounts.create_token("admin", name="cursors")
    headers = {"Authorization": f"Bearer {token}"}
    cursors: list[str] = []
    with TestClient(app) as client:
        while True:
            params = {"limit": 1} | ({"cursor": cursors[-1]} if cursors else {})
            page = client.get("/api/v1/states/CA/employees", params=params, headers=headers)
            cursor = page.json()["next_cursor"]
            if not cursor:
                return cursors
            cursors.append(cursor)


def _add_employee(container, last_name: str) -> str:
    fields = {"first_name": "Fuzz", "last_name": last_name, "role": "Probe", "salary": "1"}
    return container.personnel.add_employee("CA", fields, io.BytesIO(PDF), "fuzz").id


def _live_employee(container) -> str:
    page = container.personnel.list_employees("CA", limit=1)
    return page.items[0].id if page.items else _add_employee(container, "Target")


def _aim(container, cursors: list[str]):
    """Schema-valid cases, made to reach the code behind the 404s and 422s the document
    promises: a cursor the API issued (any other one is refused, as documented), a document
    that is a PDF and, outside the stateful phase (which follows the links), most often a
    real state and employee. Only positive cases change, and only into other schema-valid
    ones."""

    def map_case(ctx, case):
        if case.meta is None or not case.meta.generation.mode.is_positive:
            return case
        pick = zlib.crc32(repr((case.operation.label, case.path_parameters, case.query)).encode())
        query = case.query or {}
        if "cursor" in query and query["cursor"] not in cursors:
            if case.operation.path == LISTING and cursors:
                query["cursor"] = cursors[pick % len(cursors)]
            else:
                del query["cursor"]
        body = case.body if isinstance(case.body, dict) else {}
        document = body.get("document")
        data = getattr(document, "data", document)  # bytes, or schemathesis' Binary
        if isinstance(data, bytes) and not data.startswith(PDF):
            # The format hook above is not the only way bytes are drawn (Hypothesis also
            # draws constants found in the code under test): a positive document is a PDF.
            body["document"] = PDF + data
        params = case.path_parameters or {}
        if case.meta.phase.name is not TestPhase.STATEFUL and pick % 4:
            if "code" in params:
                params["code"] = "CA"
            if "employee_id" in params:
                params["employee_id"] = _live_employee(container)
        return case

    return map_case


def _sendable(ctx, case) -> bool:
    """Leaves out cases that are not what schemathesis labels them, because multipart has no
    types: a document reused as its (empty) text form is no longer a file, and a field whose
    type was changed (to null, a number, an object) arrives as text that may well be valid,
    whatever else the case mutated beside it."""
    body = case.body if isinstance(case.body, dict) else {}
    if not (case.meta and (case.media_type or "").startswith("multipart/")):
        return True
    if case.meta.generation.mode.is_positive:
        document = body.get("document")
        # A file is bytes, or schemathesis' Binary (which holds them in `data`).
        return document is None or isinstance(document, bytes) or hasattr(document, "data")
    mutations = getattr(case.meta.phase.data, "mutations", ())
    return not any(m.operator == "change_type" for m in mutations)


def _judged(check, sample: str) -> bool:
    """Whether a failed check speaks of the API. A negative multipart body can reach the
    server as text the document allows (in one CI run a mutated name did, and was rightly
    accepted): "schema-violating request accepted" is not judged for multipart bodies, which
    tests/api/test_bad_input.py and the web form tests cover; it is for every other body."""
    return not (check.name == "negative_data_rejection" and "multipart/form-data" in sample)


def _execute(schema) -> Run:
    cases, failures = 0, []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            cases += len(event.recorder.cases)
            for checks in event.recorder.checks.values():
                for check in checks:
                    info = check.failure_info
                    if info is not None and _judged(check, info.code_sample):
                        failure, sample = info.failure, info.code_sample
                        failures.append(f"{event.recorder.label}: {failure.title}\n"
                                        f"  {failure.message}\n  {sample}")
        elif isinstance(event, events.NonFatalError):
            failures.append(f"{event.label}: error\n  {event.info.format()}")
        elif isinstance(event, events.FatalError):
            failures.append(f"fatal: {event.exception!r}")
    return Run(cases, sorted(set(failures)))


@pytest.mark.parametrize("role", CALLERS)
def test_the_api_does_what_its_document_says(tmp_path, role):
    run = fuzz(tmp_path, role, examples=5, stateful_examples=3)
    assert run.cases > 100  # the run reached the API
    assert run.failures == [], "\n\n".join(run.failures)


@pytest.mark.slow
@pytest.mark.parametrize("role", CALLERS)
def test_the_api_does_what_its_document_says_at_length(tmp_path, role):
    run = fuzz(tmp_path, role, examples=100, stateful_examples=50)
    assert run.cases > 1000
    assert run.failures == [], "\n\n".join(run.failures)
