"""The Users page: a platform admin manages everyone at /users, a state admin its state's at
/states/{code}/users. Add (with a password or a generated one, shown once), change role,
disable or enable, remove after a confirmation page.

Who may change whom is the Accounts use case's decision, given the caller's Principal; the
pages only choose what to show."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from humangov.accounts.service import EMAIL, MAX_EMAIL, MAX_PASSWORD, MIN_PASSWORD
from humangov.domain.auth import ROLES, Principal
from humangov.domain.errors import Conflict, InvalidInput
from humangov.domain.states import STATE_NAMES, normalize_code
from humangov.web.deps import ContainerDep, PrincipalDep, TenantRead, render, require_csrf
from humangov.web.pages.kit import check_fields, flash, form_error, see_other, small_form, text

router = APIRouter(include_in_schema=False)

# Where a form returns to: one of the two listings, never anywhere else.
BACK = re.compile(r"^/(?:users|states/([A-Z]{2})/users)$")
ERRORS = (InvalidInput, Conflict)


def _scope(back: str, principal: Principal) -> tuple[str, str | None]:
    """The listing a form came from and its state (None: every user); the caller's own if
    the form named none we know."""
    match = BACK.match(back)
    if match is None:
        back = "/users" if principal.is_admin else f"/states/{principal.state}/users"
        match = BACK.match(back)
        assert match is not None
    return back, match.group(1)


def _roles(principal: Principal) -> list[str]:
    return [r for r in ROLES if principal.is_admin or r != "admin"]


def _check_role(role: str) -> None:
    # Which of them the caller may grant is the use case's decision (a 403, not a typo).
    if role not in ROLES:
        raise InvalidInput(f"Choose one of the roles listed: {', '.join(ROLES)}.")


def _check_state(role: str, state: str | None) -> None:
    if role == "admin":
        return  # a platform admin's state is ignored: it covers every state
    if not state:
        raise InvalidInput(f"A{'n' if role[:1] in 'aeiou' else ''} {role or 'user'} belongs to "
                           "one state: enter its USPS code, such as CA.")
    normalize_code(state)


def _check_email(email: str) -> None:
    if len(email) > MAX_EMAIL or not EMAIL.match(email):
        raise InvalidInput(f"{email[:60]!r} is not an email address. Enter one such as "
                           f"ada@example.gov, of at most {MAX_EMAIL} characters.")


def _check_password(password: str) -> None:
    if password and not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(f"Use {MIN_PASSWORD} to {MAX_PASSWORD} characters (this one has "
                           f"{len(password)}), or leave it empty to have one generated.")


def _listing(request: Request, principal: Principal, container, back: str, *,
             status: int = 200, errors: dict | None = None, values: dict | None = None):
    back, state = _scope(back, principal)
    users = [u for u in container.accounts.list_users(principal)
             if state is None or u.state == state]
    return render(request, "users/list.html", status, users=users, state=state, back=back,
                  roles=_roles(principal), states=list(STATE_NAMES), principal=principal,
                  errors=errors or {}, values={"role": "editor", "state": state, **(values or {})})


@router.get("/users")
def all_users(request: Request, principal: PrincipalDep, container: ContainerDep):
    principal.require_list_users()
    if not principal.is_admin:
        return see_other(f"/states/{principal.state}/users")
    return _listing(request, principal, container, "/users")


@router.get("/states/{code}/users")
def state_users(request: Request, state: TenantRead, principal: PrincipalDep,
                container: ContainerDep):
    principal.require_manage_users(state)
    return _listing(request, principal, container, f"/states/{state}/users")


@router.post("/users/new")
async def add_user(request: Request, principal: PrincipalDep, container: ContainerDep):
    form = await small_form(request)
    require_csrf(request, form.get("csrf_token"))
    back, scope = _scope(text(form, "back"), principal)
    values = {k: text(form, k).strip() for k in ("email", "role", "state")}
    state = None if values["role"] == "admin" else (scope or values["state"] or None)
    password = text(form, "password")
    accounts = container.accounts
    try:
        check_fields({
            "email": lambda: _check_email(values["email"]),
            "role": lambda: _check_role(values["role"]),
            "state": lambda: _check_state(values["role"], state),
            "password": lambda: _check_password(password),
        })
        if password:
            user = await run_in_threadpool(accounts.add_user, values["email"], password,
                                           values["role"], state, by=principal)
            generated = None
        else:
            user, generated = await run_in_threadpool(
                accounts.invite_user, values["email"], values["role"], state, by=principal)
    except ERRORS as exc:
        status, errors = form_error(exc)
        return _listing(request, principal, container, back, status=status, errors=errors,
                        values=values)
    if generated:
        # Shown once, on this page only: never in a flash message (the cookie is not secret).
        return render(request, "users/created.html", user=user, password=generated, back=back)
    flash(request, f"Added {user.email} as {user.grant}.")
    return see_other(back)


@router.post("/users/{user_id}/role")
async def change_role(request: Request, user_id: str, principal: PrincipalDep,
                      container: ContainerDep):
    def change(form: FormData, scope: str | None) -> str:
        role = text(form, "role")
        state = None if role == "admin" else (scope or text(form, "state").strip() or None)
        # Keyed by the row's own fields, so the summary's links lead to them.
        check_fields({f"role-{user_id}": lambda: _check_role(role),
                      f"state-{user_id}": lambda: _check_state(role, state)})
        user = container.accounts.set_role(user_id, role, state, by=principal)
        return f"{user.email} is now {user.grant}."

    return await _row_action(request, principal, container, change)


@router.post("/users/{user_id}/disabled")
async def set_disabled(request: Request, user_id: str, principal: PrincipalDep,
                       container: ContainerDep):
    def change(form: FormData, scope: str | None) -> str:
        disabled = text(form, "disabled") == "true"
        user = container.accounts.set_disabled(user_id, disabled, by=principal)
        return f"{'Disabled' if user.disabled else 'Enabled'} {user.email}."

    return await _row_action(request, principal, container, change)


async def _row_action(request: Request, principal: Principal, container,
                      change: Callable[[FormData, str | None], str]):
    """A form on a user's row: apply it, then back to the listing with a message, or the
    listing again with the error."""
    form = await small_form(request)
    require_csrf(request, form.get("csrf_token"))
    back, scope = _scope(text(form, "back"), principal)
    try:
        message = change(form, scope)
    except ERRORS as exc:
        status, errors = form_error(exc)
        # The row's typed role and state come back beside its error, keyed by the row.
        user_id = request.path_params["user_id"]
        row = {f"{k}-{user_id}": text(form, k) for k in ("role", "state")}
        return _listing(request, principal, container, back, status=status, errors=errors,
                        values=row)
    flash(request, message)
    return see_other(back)


@router.get("/users/{user_id}/remove")
def remove_form(request: Request, user_id: str, principal: PrincipalDep,
                container: ContainerDep, back: str = ""):
    user = container.accounts.get_user(user_id, principal)
    back, _ = _scope(back, principal)
    return render(request, "users/remove.html", user=user, back=back, errors={})


@router.post("/users/{user_id}/remove")
async def remove(request: Request, user_id: str, principal: PrincipalDep,
                 container: ContainerDep):
    form = await small_form(request)
    require_csrf(request, form.get("csrf_token"))
    back, _ = _scope(text(form, "back"), principal)
    user = container.accounts.get_user(user_id, principal)
    try:
        container.accounts.remove_user(user.id, by=principal)
    except ERRORS as exc:
        status, errors = form_error(exc)
        return render(request, "users/remove.html", status, user=user, back=back, errors=errors)
    flash(request, f"Removed {user.email}.")
    return see_other(back)

