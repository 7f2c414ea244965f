"""A minimal HTTP/1.1 client on asyncio streams, for heartbeats only.

Why not httpx here: at 1,000 checks every 10 s, httpx's per-request overhead alone took about
60% of a core in bench/monitoring_bench.py; a keep-alive GET on raw streams costs a fraction of
that. API, lifecycle and browser checks, which need the full client, use httpx.
Supports: GET/HEAD/etc. without a body, Content-Length and chunked bodies, keep-alive reuse,
https with certificate verification (the SSL object is exposed for expiry checks).
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Enough to search for a keyword; larger bodies are cut and the connection dropped.
MAX_BODY = 1024 * 1024
MAX_IDLE_PER_HOST = 64

_Key = tuple[str, str, int]  # (scheme, host, port)
_Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class HttpError(Exception):
    """The request failed before a complete response arrived. The message is operator-safe."""


@dataclass(slots=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    peer_cert: dict | None = None

    @property
    def text(self) -> str:
        charset = "utf-8"
        for part in self.headers.get("content-type", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


@dataclass
class RawHttp:
    user_agent: str = "HumanGov-Canary/1.0"
    ssl_context: ssl.SSLContext | None = None
    _idle: dict[_Key, list[_Connection]] = field(default_factory=dict)

    async def request(
        self, method: str, url: str, headers: dict[str, str] | None = None
    ) -> Response:
        """Callers bound this with their own timeout (asyncio.timeout)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HttpError(f"unsupported URL {url!r}: use http:// or https://")
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        key = (parts.scheme, parts.hostname, port)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"User-Agent: {self.user_agent}",
                 "Accept: */*"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        pooled = self._take(key)
        if pooled is not None:
            try:
                return await self._exchange(key, pooled, payload, method)
            except (HttpError, OSError, asyncio.IncompleteReadError):
                pooled[1].close()  # the server closed an idle connection; retry on a fresh one
        reader, writer = await self._connect(parts.hostname, port, tls)
        try:
            return await self._exchange(key, (reader, writer), payload, method)
        except asyncio.IncompleteReadError:
            writer.close()
            raise HttpError("the server closed the connection before a full response") from None
        except BaseException:
            writer.close()
            raise

    async def _connect(self, host: str, port: int, tls: bool) -> _Connection:
        context = None
        if tls:
            context = self.ssl_context or ssl.create_default_context()
        try:
            return await asyncio.open_connection(host, port, ssl=context, limit=MAX_BODY)
        except ConnectionRefusedError:
            raise HttpError("connection refused") from None
        except ssl.SSLCertVerificationError as exc:
            raise HttpError(f"TLS certificate not trusted: {exc.verify_message}") from None
        except ssl.SSLError as exc:
            raise HttpError(f"TLS handshake failed: {exc.reason or exc}") from None
        except OSError as exc:
            if isinstance(exc, __import__("socket").gaierror):
                raise HttpError(f"DNS lookup failed for {host}") from None
            raise HttpError(f"could not connect: {exc.strerror or exc}") from None

    def _take(self, key: _Key) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            reader, writer = idle.pop()
            if not writer.is_closing() and not reader.at_eof():
                return reader, writer
            writer.close()
        return None

    async def _exchange(
        self, key: _Key, connection: _Connection, payload: bytes, method: str
    ) -> Response:
        reader, writer = connection
        writer.write(payload)
        await writer.drain()
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError:
            raise HttpError("response headers too large") from None
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        try:
            version, code, *_ = status_line.split(" ", 2)
            status = int(code)
        except ValueError:
            raise HttpError(f"bad HTTP status line {status_line[:60]!r}") from None
        headers: dict[str, str] = {}
        for line in header_lines:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        reusable = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
        body = b""
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            pass
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body, complete = await _read_chunked(reader)
            reusable = reusable and complete
        elif "content-length" in headers:
            length = int(headers["content-length"])
            body = await reader.readexactly(min(length, MAX_BODY))
            reusable = reusable and length <= MAX_BODY
        else:
            body = await reader.read(MAX_BODY)
            reusable = False
        ssl_object = writer.get_extra_info("ssl_object")
        cert = ssl_object.getpeercert() if ssl_object is not None else None
        if reusable and len(self._idle.setdefault(key, [])) < MAX_IDLE_PER_HOST:
            self._idle[key].append((reader, writer))
        else:
            writer.close()
        return Response(status, headers, body, cert)

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for _, writer in idle:
                writer.close()
        self._idle.clear()


async def _read_chunked(reader: asyncio.StreamReader) -> tuple[bytes, bool]:
    body = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # trailers are not supported: expect the final CRLF
            return bytes(body), True
        if len(body) + size > MAX_BODY:
            return bytes(body), False
        body += await reader.readexactly(size)
        await reader.readexactly(2)
