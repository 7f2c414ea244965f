"""`heartbeat`: one HTTP request per target, asserting on the answer. A group of targets is
one check whose failure names the failing members."""

from __future__ import annotations

import asyncio
import ssl
import time
from datetime import UTC, datetime

from humangov.monitoring.checks.base import CheckFailed, execute, step
from humangov.monitoring.checks.expect import check_response
from humangov.monitoring.config import HeartbeatCheck, format_duration
from humangov.monitoring.http import Clients
from humangov.monitoring.rawhttp import HttpError, RawHttp, Response
from humangov.monitoring.results import RunContext, RunResult

GROUP_CONCURRENCY = 10


async def run(check: HeartbeatCheck, clients: Clients, ctx: RunContext, **kw) -> RunResult:
    return await execute(check, ctx, lambda: _body(check, clients.raw, ctx), **kw)


async def _body(check: HeartbeatCheck, http: RawHttp, ctx: RunContext) -> None:
    targets = check.targets()
    if len(targets) == 1 and check.url is not None:
        async with step(ctx, "request"):
            await probe(check, http, check.url)
        return
    gate = asyncio.Semaphore(GROUP_CONCURRENCY)
    failures: dict[str, str] = {}

    async def member(label: str, url: str) -> None:
        async with gate:
            try:
                async with step(ctx, label):
                    await probe(check, http, url)
            except CheckFailed as exc:
                failures[label] = str(exc)

    await asyncio.gather(*(member(label, url) for label, url in targets.items()))
    if failures:
        names = ", ".join(sorted(failures))
        first = failures[min(failures)]
        raise CheckFailed(f"{len(failures)} of {len(targets)} failing: {names} (first: {first})")


async def probe(check: HeartbeatCheck, http: RawHttp, url: str) -> None:
    """One request; raises CheckFailed with every expectation that did not hold."""
    timeout_s = check.timeout.total_seconds()
    start = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_s):
            response = await http.request(check.method, url, check.headers)
    except TimeoutError:
        raise CheckFailed(f"timed out after {format_duration(check.timeout)}") from None
    except HttpError as exc:
        raise CheckFailed(str(exc)) from None
    except (OSError, asyncio.IncompleteReadError) as exc:
        raise CheckFailed(f"connection failed: {type(exc).__name__}") from None
    latency_ms = (time.perf_counter() - start) * 1000
    problems = check_response(
        check.expect, status=response.status, text=response.text, latency_ms=latency_ms
    )
    expiry_problem = _tls_expiry(check, url, response)
    if expiry_problem:
        problems.append(expiry_problem)
    if problems:
        raise CheckFailed("; ".join(problems))


def _tls_expiry(check: HeartbeatCheck, url: str, response: Response) -> str | None:
    if check.tls_expiry_days is None or not url.startswith("https:"):
        return None
    cert = response.peer_cert
    if not cert or "notAfter" not in cert:
        return "could not read the TLS certificate to check its expiry"
    expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), UTC)
    days_left = (expires - datetime.now(UTC)).total_seconds() / 86400
    if days_left < check.tls_expiry_days:
        return (
            f"TLS certificate expires in {days_left:.1f} days "
            f"(on {expires:%Y-%m-%d}), less than {check.tls_expiry_days}"
        )
    return None
