"""The one factory for outbound HTTP from checks: explicit timeouts, a pool sized for many
concurrent heartbeats. Tests point checks at local servers; nothing here knows about tests."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

import httpx

USER_AGENT = "HumanGov-Canary/1.0"


def make_client(
    *,
    timeout: float = 10.0,
    max_connections: int = 500,
    transport: httpx.AsyncBaseTransport | None = None,
    verify: bool | str = True,
) -> httpx.AsyncClient:
    """Each request also gets its check's own timeout; this one is the backstop."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=30.0,
        ),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,  # a redirect is an answer worth asserting on, not following
        transport=transport,
        verify=verify,
    )


def describe_error(exc: Exception, timeout_s: float | None = None) -> str:
    """A short, secret-free reason for a failed request."""
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {timeout_s:g}s" if timeout_s else "timed out"
    if isinstance(exc, httpx.ConnectError):
        if _caused_by(exc, ConnectionRefusedError):
            return "connection refused"
        text = str(exc).lower()
        if "refused" in text:
            return "connection refused"
        if "name or service" in text or "nodename" in text or "getaddrinfo" in text:
            return "DNS lookup failed"
        if "certificate" in text or "ssl" in text:
            return f"TLS handshake failed: {exc}"
        return f"could not connect: {exc}" if str(exc) else "could not connect"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"bad HTTP response: {exc}"
    if isinstance(exc, httpx.HTTPError):
        return f"{type(exc).__name__}: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _caused_by(exc: BaseException, kind: type) -> bool:
    cause: BaseException | None = exc
    seen = 0
    while cause is not None and seen < 10:
        if isinstance(cause, kind):
            return True
        cause = cause.__cause__ or cause.__context__
        seen += 1
    return False

if TYPE_CHECKING:
    from humangov.monitoring.rawhttp import RawHttp


class Clients:
    """The outbound clients checks share: httpx for API-like checks, a lean keep-alive client
    for heartbeats (see rawhttp.py for why)."""

    def __init__(self, http: httpx.AsyncClient | None = None, raw: RawHttp | None = None,
                 secrets: Mapping[str, str] | None = None) -> None:
        from humangov.monitoring.rawhttp import RawHttp

        self.http = http or make_client()
        self.raw = raw or RawHttp(user_agent=USER_AGENT)
        self._secrets = dict(secrets or {})

    def secret(self, name: str) -> str:
        """The secret a check names (a token, a password): a value the engine was given
        (`serve` hands over its canary's), else the environment variable of that name, as a
        checks file written for `humangov monitor` expects."""
        return (self._secrets.get(name) or os.environ.get(name, "")).strip()

    async def aclose(self) -> None:
        await self.raw.aclose()
        await self.http.aclose()
