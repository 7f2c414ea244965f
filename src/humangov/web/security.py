"""Browser-facing hardening for the HTML pages: no framing, no sniffing, no third-party
anything. The pages work without JavaScript; the one script (the monitoring pages' pausable
refresh) is a file of the app's own, so the policy allows scripts from this origin only, never
inline. The API docs run Swagger UI and Redoc, shipped with the app (fastapi-offline)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_HEADERS = {
    b"content-security-policy": (
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
}


# Where the API docs' scripts and styles are served from (under /static/: cacheable assets).
DOCS_ASSETS = "/static/api-docs"
# FastAPI's /docs and /redoc pages start their viewer with an inline script; Redoc renders in
# a blob: worker. Nothing may load from, or talk to, another origin.
DOCS_HEADERS = {
    b"content-security-policy": (
        b"default-src 'self'; script-src 'self' 'unsafe-inline'; "
        b"style-src 'self' 'unsafe-inline'; img-src 'self' data:; worker-src 'self' blob:; "
        b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
}

# Pages and answers carry salaries and names: no browser or proxy may keep a copy.
NO_STORE = {b"cache-control": b"no-store"}


class PageSecurityHeaders:
    """Adds PAGE_HEADERS to every response outside /api/ that does not set them itself
    (the inline PDF view sets its own, stricter, sandbox policy). /docs and /redoc get
    DOCS_HEADERS, since their viewers need scripts. Every response but the static assets also
    gets NO_STORE unless it set its own Cache-Control."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/static/"):
            await self.app(scope, receive, send)
            return
        headers = dict(NO_STORE)
        if path.startswith(("/docs", "/redoc")):
            headers |= DOCS_HEADERS
        elif not path.startswith(("/api/", "/openapi.json")):
            headers |= PAGE_HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in headers.items() if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
