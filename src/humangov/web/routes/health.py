"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from humangov.domain.errors import StorageUnavailable
from humangov.ports import FreeSpace
from humangov.web.deps import ContainerDep
from humangov.web.errors import problem
from humangov.web.openapi import PROBLEM_JSON, PROBLEM_REF

if TYPE_CHECKING:
    from humangov.bootstrap import Container

PUBLIC: dict[str, Any] = {"security": []}  # no credentials needed

router = APIRouter(tags=["operations"])


@router.get("/healthz", openapi_extra=PUBLIC)
async def healthz():
    """The process is up and serving."""
    return Response(b'{"status":"ok"}', media_type="application/json")


@router.get("/readyz", openapi_extra=PUBLIC, responses={503: {
    "description": "A dependency is failing; `checks` says which",
    "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}})
async def readyz(container: ContainerDep):
    """The database and the document store answer, every state's store is there and is the
    state's, and the documents disk has room."""
    checks = {}
    for name, part in (("database", container.records), ("documents", container.blobs)):
        try:
            await run_in_threadpool(part.ping)
            checks[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready; say which part and why
            checks[name] = f"failing: {getattr(exc, 'detail', None) or type(exc).__name__}"
    if checks["documents"] == "ok" and checks["database"] == "ok":
        checks["documents"] = await run_in_threadpool(state_spaces, container)
    if passed(checks["documents"]) and isinstance(container.blobs, FreeSpace):
        space = free_space(
            await run_in_threadpool(container.blobs.free_bytes), container.settings.min_free_bytes
        )
        checks["documents"] = space if space != "ok" else checks["documents"]
    if all(passed(v) for v in checks.values()):
        return Response(
            orjson.dumps({"status": "ok", "checks": checks}), media_type="application/json"
        )
    failing = ", ".join(f"{k} {v}" for k, v in checks.items() if not passed(v))
    return problem(503, "Not ready", f"HumanGov is not ready: {failing}.", checks=checks)


def passed(check: str) -> bool:
    """"ok", or "ok: <what was (not) checked>"."""
    return check == "ok" or check.startswith("ok:")


def state_spaces(container: Container) -> str:
    """Each provisioned state's space verified: a folder or bucket moved away, or not the
    state's, would make every erasure of it fail (and retry) until it is back. With no state
    provisioned nothing was verified, and the answer says so rather than claim "ok" (on AWS
    the store's own ping asks S3 nothing account-wide): the app is ready, with no states."""
    failing = []
    states = container.records.list_states()
    if not states:
        return "ok: no states provisioned, so no state's document store was checked"
    for state in states:
        try:
            container.blobs.verify_space(state.code)
        except StorageUnavailable as exc:
            failing.append(f"{state.code}: {exc.detail}")
    if not failing:
        return "ok"
    return f"failing: the document stores of {len(failing)} state(s) are unavailable: " + (
        " ".join(failing))


def free_space(free: int, minimum: int) -> str:
    """A nearly full disk fails uploads with 507; say so before they do."""
    if free >= minimum:
        return "ok"
    return (f"failing: only {_mib(free)} free on the documents disk, below the "
            f"{_mib(minimum)} minimum (HUMANGOV_MIN_FREE_BYTES)")


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request):
    body = generate_latest(request.app.state.metrics)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
