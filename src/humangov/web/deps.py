"""Typed dependencies. The tenant is resolved once, here, never in each route.

They are `async def` on purpose: FastAPI runs a plain `def` dependency in the thread pool,
and four thread hops per request cost more than the microseconds of work they do (a cached
token, a cached state list, an indexed SQLite read)."""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Path, Request, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from humangov.accounts.service import MAX_TOKEN
from humangov.domain.auth import LoginSession, Principal
from humangov.domain.errors import Forbidden, NotFound, Unauthenticated
from humangov.domain.states import normalize_code

if TYPE_CHECKING:
    from humangov.bootstrap import Container

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# The login's random id (its hash is on the server). Before login, a visitor's form token and
# messages ride in Starlette's signed cookie instead, so anonymous visits store nothing.
SESSION_COOKIE = "humangov_session"


async def get_container(request: Request) -> Container:
    return request.app.state.container


ContainerDep = Annotated["Container", Depends(get_container)]


def login_of(request: Request) -> tuple[Principal, LoginSession] | None:
    """The live server-side session the cookie names, looked up once per request."""
    if "humangov.login" not in request.scope:
        plain = request.cookies.get(SESSION_COOKIE)
        accounts = request.app.state.container.accounts
        request.scope["humangov.login"] = accounts.resume_session(plain) if plain else None
    return request.scope["humangov.login"]


def principal_of(request: Request) -> Principal | None:
    """The caller: a bearer token, else the session's user, else None. Cached per request."""
    if (cached := request.scope.get("humangov.principal")) is not None:
        return cached
    container = request.app.state.container
    auth = request.headers.get("authorization")
    principal = None
    if auth:
        if len(auth) > MAX_TOKEN + len("Bearer "):
            raise Unauthenticated("The Authorization header is longer than any HumanGov token.")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Send the API token as 'Authorization: Bearer <token>'.")
        # Looked up every time, never cached: a revoked or expired token stops at once.
        principal = container.accounts.use_token(token.strip(), client_address(request))
        if principal is None:
            raise Unauthenticated(
                "The API token is not valid. Create one with `humangov tokens create`."
            )
    elif (login := login_of(request)) is not None:
        principal = login[0]
        if request.method not in SAFE_METHODS and request.url.path.startswith("/api/"):
            # A cookie rides along with any cross-site request; API writes made with the
            # session must prove they come from our pages.
            require_csrf(request, request.headers.get("x-csrf-token"))
    request.scope["humangov.principal"] = principal
    request.state.principal = principal
    return principal


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def audit_login(request: Request, kind: str, actor: str, email: str, **detail) -> None:
    """Record a login or session event with the caller's address (see Accounts.record_login)."""
    accounts = request.app.state.container.accounts
    await run_in_threadpool(accounts.record_login, kind, actor, email, client_address(request),
                            **detail)


def require_principal(request: Request) -> Principal:
    principal = principal_of(request)
    if principal is None:
        raise Unauthenticated("Log in, or send an API token as 'Authorization: Bearer <token>'.")
    return principal


def resolve_tenant(request: Request, code: str, *, write: bool = False) -> str:
    """The canonical code of a state the caller may read (or write); 404/403/401 otherwise."""
    principal = require_principal(request)
    canonical = normalize_code(code)
    principal.require_read(canonical)
    if not request.app.state.container.personnel.is_provisioned(canonical):
        raise NotFound(f"The state {canonical} is not provisioned in this HumanGov.")
    if write:
        principal.require_write(canonical)
    return canonical


async def optional_principal(request: Request) -> Principal | None:
    return principal_of(request)


async def get_principal(request: Request) -> Principal:
    return require_principal(request)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
StateCode = Annotated[str, Path(description="USPS code of the state, such as CA", max_length=8)]


async def tenant_read(request: Request, code: StateCode) -> str:
    return resolve_tenant(request, code)


async def tenant_write(request: Request, code: StateCode) -> str:
    return resolve_tenant(request, code, write=True)


async def admin_principal(principal: PrincipalDep) -> Principal:
    principal.require_admin()
    return principal


TenantRead = Annotated[str, Depends(tenant_read)]
TenantWrite = Annotated[str, Depends(tenant_write)]
AdminPrincipal = Annotated[Principal, Depends(admin_principal)]


# CSRF: a per-session secret, echoed in every form (and in X-CSRF-Token for API calls).
def csrf_token(request: Request) -> str:
    if (login := login_of(request)) is not None:
        return login[1].csrf
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def require_csrf(request: Request, submitted: object) -> None:
    """`submitted` is what the form or header carried: anything but the session's token
    (a missing field, a file posted under the field's name) is refused."""
    login = login_of(request)
    expected = login[1].csrf if login is not None else request.session.get("csrf")
    if (
        not expected
        or not isinstance(submitted, str)
        or not submitted
        or not hmac.compare_digest(expected, submitted)
    ):
        raise Forbidden(
            "The form has expired or did not come from HumanGov. Reload the page and try again."
        )


def is_synthetic(request: Request) -> bool:
    """What the canary creates is synthetic, so reports and lists can leave it out. The
    identity decides, not the request: an `X-HumanGov-Synthetic` header or `synthetic`
    form field from anyone else is ignored, so no editor can hide a record."""
    principal = principal_of(request)
    return principal is not None and principal.canary


def csrf_field(request: Request) -> Markup:
    """The hidden CSRF input every form carries (a Jinja global)."""
    return Markup('<input type="hidden" name="csrf_token" value="%s">') % csrf_token(request)


def render(
    request: Request, name: str, status: int = 200, headers: dict | None = None, **ctx
) -> Response:
    return request.app.state.templates.TemplateResponse(
        request, name, ctx, status_code=status, headers=headers
    )
