"""`lifecycle`: HumanGov's own business transaction, end to end through the public API.

create (synthetic, with a PDF) -> read back -> download and verify sha256 -> delete -> the
erasure ledger shows a receipt for the document within the SLA. The canary's record is removed
in `finally` even when a step fails, so failed runs leave nothing behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import timedelta
from typing import Any

import httpx

from humangov.monitoring.checks.base import CheckFailed, execute, step
from humangov.monitoring.checks.pdf import canary_pdf
from humangov.monitoring.config import LifecycleCheck, format_duration
from humangov.monitoring.http import Clients, describe_error
from humangov.monitoring.results import RunContext, RunResult, utcnow

SYNTHETIC_HEADER = {"X-HumanGov-Synthetic": "1"}
CLEANUP_TIMEOUT_S = 5.0
LEDGER_PAGES_PER_POLL = 5


async def run(check: LifecycleCheck, clients: Clients, ctx: RunContext, **kw) -> RunResult:
    return await execute(check, ctx, lambda: _body(check, clients, ctx), **kw)


def _token(check: LifecycleCheck, clients: Clients) -> str:
    token = clients.secret(check.token_env)
    if not token:
        raise CheckFailed(
            f"environment variable {check.token_env} is not set; create an API token "
            f"(humangov tokens create) and export it for the canary"
        )
    return token


async def _body(check: LifecycleCheck, clients: Clients, ctx: RunContext) -> None:
    http = clients.http
    async with step(ctx, "token"):
        token = _token(check, clients)
    api = _Api(check, http, token)
    pdf = canary_pdf(ctx.run_id)
    digest = hashlib.sha256(pdf).hexdigest()
    employee_id: str | None = None
    deleted = False
    try:
        async with step(ctx, "create"):
            created = await api.create(ctx.run_id, pdf)
            employee_id = _field(created, "id")
            ctx.synthetic_ids.append(f"{check.state}/{employee_id}")
        async with step(ctx, "read"):
            body = await api.call("GET", api.employee_url(employee_id), expect=(200,))
            if _field(body, "last_name") != _last_name(ctx.run_id):
                raise CheckFailed("read back a different employee than was created")
        async with step(ctx, "download"):
            response = await api.raw("GET", api.employee_url(employee_id) + "/document", (200,))
            got = hashlib.sha256(response.content).hexdigest()
            if got != digest:
                raise CheckFailed(
                    f"document sha256 {got[:12]}... differs from the upload's {digest[:12]}..."
                )
        async with step(ctx, "delete"):
            await api.raw("DELETE", api.employee_url(employee_id), (200, 202, 204))
            deleted = True
            deleted_at = utcnow()
        async with step(ctx, "erasure"):
            await _await_receipt(check, api, employee_id, created, deleted_at)
    finally:
        if employee_id is not None and not deleted:
            await _cleanup(api, employee_id)


async def _cleanup(api: _Api, employee_id: str) -> None:
    # Shielded and bounded: this may run while the run is being cancelled by its timeout.
    async def delete() -> None:
        try:
            async with asyncio.timeout(CLEANUP_TIMEOUT_S):
                await api.http.delete(api.employee_url(employee_id), headers=api.headers)
        except (httpx.HTTPError, TimeoutError):
            # The next run's cleanup can't find it either; reports leave synthetic records out.
            pass

    await asyncio.shield(delete())


async def _await_receipt(
    check: LifecycleCheck, api: _Api, employee_id: str, created: Any, deleted_at
) -> None:
    """Poll the ledger until a receipt for this employee's document appears, within the SLA."""
    document_key = _document_key(created, employee_id)
    sla_s = check.erasure_sla.total_seconds()
    since = (deleted_at - timedelta(minutes=1)).isoformat()
    deadline = time.monotonic() + sla_s
    while True:
        receipt = await _find_receipt(api, since, employee_id, document_key)
        if receipt is not None:
            if receipt.get("result") not in ("erased", "already-absent"):
                raise CheckFailed(f"erasure receipt has result {receipt.get('result')!r}")
            return
        if time.monotonic() >= deadline:
            raise CheckFailed(
                f"no erasure receipt for the canary's document within the SLA of "
                f"{format_duration(check.erasure_sla)}"
            )
        await asyncio.sleep(
            min(check.poll_interval.total_seconds(), max(0.0, deadline - time.monotonic()))
        )


async def _find_receipt(api: _Api, since: str, employee_id: str, key: str | None) -> dict | None:
    cursor = None
    for _ in range(LEDGER_PAGES_PER_POLL):
        params = {"limit": "200", "since": since}
        if cursor:
            params["cursor"] = cursor
        body = await api.call("GET", f"{api.state_url}/erasures", expect=(200,), params=params)
        items = (
            body if isinstance(body, list) else (body.get("items") or body.get("receipts") or [])
        )
        for receipt in items:
            receipt_key = str(receipt.get("key", ""))
            if receipt_key == key or (key is None and receipt_key.startswith(f"{employee_id}/")):
                return receipt
        cursor = body.get("next_cursor") if isinstance(body, dict) else None
        if not cursor:
            return None
    return None


def _last_name(run_id: str) -> str:
    return f"Canary-{run_id[-8:]}"


def _field(body: Any, name: str) -> Any:
    if not isinstance(body, dict) or name not in body:
        raise CheckFailed(f"the response has no {name!r} field")
    return body[name]


def _document_key(created: Any, employee_id: str) -> str | None:
    """The storage key when the API shows it (`document.key`), else computed from the ids
    (`<employee id>/<document id>.pdf`), else None: any key under the employee's prefix."""
    document = created.get("document") if isinstance(created, dict) else None
    if isinstance(document, dict):
        if document.get("key"):
            return str(document["key"])
        if document.get("id"):
            return f"{employee_id}/{document['id']}.pdf"
    return None


class _Api:
    def __init__(self, check: LifecycleCheck, http: httpx.AsyncClient, token: str) -> None:
        self.check, self.http = check, http
        self.headers = {"Authorization": f"Bearer {token}", **SYNTHETIC_HEADER}
        self.state_url = f"{check.base_url.rstrip('/')}/api/v1/states/{check.state}"
        self.timeout = check.timeout.total_seconds()

    def employee_url(self, employee_id: str) -> str:
        return f"{self.state_url}/employees/{employee_id}"

    async def create(self, run_id: str, pdf: bytes) -> Any:
        data = {
            "first_name": "Synthetic", "last_name": _last_name(run_id),
            "role": "Canary", "salary": "1.00", "synthetic": "true",
        }
        files = {"document": ("canary.pdf", pdf, "application/pdf")}
        response = await self.raw(
            "POST", f"{self.state_url}/employees", (200, 201), data=data, files=files
        )
        return _json(response)

    async def call(self, method: str, url: str, *, expect: tuple[int, ...], **kw) -> Any:
        return _json(await self.raw(method, url, expect, **kw))

    async def raw(self, method: str, url: str, expect: tuple[int, ...], **kw) -> httpx.Response:
        try:
            response = await self.http.request(
                method, url, headers=self.headers, timeout=self.timeout, **kw
            )
        except httpx.HTTPError as exc:
            raise CheckFailed(describe_error(exc, self.timeout)) from None
        if response.status_code not in expect:
            detail = _problem_detail(response)
            wanted = " or ".join(map(str, expect))
            raise CheckFailed(
                f"{method} returned {response.status_code}, expected {wanted}{detail}"
            )
        return response


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise CheckFailed(
            f"expected JSON, got {response.headers.get('content-type', 'no content type')}"
        ) from None


def _problem_detail(response: httpx.Response) -> str:
    """The problem+json `detail`, if any: it is meant for the client and safe to show."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return ""
    return f": {str(detail)[:200]}" if isinstance(detail, str) and detail else ""
