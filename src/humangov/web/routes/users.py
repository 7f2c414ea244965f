"""Users under /api/v1/users: platform admins manage everyone, a state admin its state's.

Whom the caller may see and change is decided by the Accounts use case (with the caller's
Principal); someone outside the caller's reach answers 404, like another state's data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from humangov.accounts.service import EMAIL, MIN_PASSWORD
from humangov.domain.auth import User
from humangov.web.deps import ContainerDep, PrincipalDep
from humangov.web.openapi import WRITE_PROBLEMS, problems

router = APIRouter(prefix="/api/v1", tags=["users"],
                   generate_unique_id_function=lambda route: route.name)

StateRole = Literal["state-admin", "editor", "viewer", "counsel"]
UserId = Annotated[str, Path(max_length=64, description="The user's id")]
State = Annotated[str, Field(pattern="^[A-Za-z]{2}$", examples=["CA"],
                             description="USPS code of the user's state")]
USER_PROBLEMS = {**WRITE_PROBLEMS, **problems(400, 409)}


class UserPublic(BaseModel):
    id: str
    email: str
    role: str
    state: str | None = Field(description="None for a platform admin")
    disabled: bool
    created_at: datetime

    @classmethod
    def of(cls, u: User) -> UserPublic:
        return cls(id=u.id, email=u.email, role=u.role, state=u.state, disabled=u.disabled,
                   created_at=u.created_at)


class UserCreated(UserPublic):
    password: str | None = Field(
        description="The generated password, shown only this once; None if you gave one")


class _NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    email: str = Field(max_length=254, pattern=EMAIL.pattern, examples=["ada@example.gov"])
    password: str | None = Field(
        None, min_length=MIN_PASSWORD, max_length=1024,
        description="Omit it to have one generated and returned once")


class NewPlatformAdmin(_NewUser):
    role: Literal["admin"]


class NewStateUser(_NewUser):
    role: StateRole
    state: State


NewUser = Annotated[NewPlatformAdmin | NewStateUser, Field(discriminator="role")]


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    disabled: bool | None = Field(
        None, description="true: no login, and the user's sessions and tokens stop working")


class ToPlatformAdmin(_Change):
    role: Literal["admin"]


class ToStateRole(_Change):
    role: StateRole
    state: State


class StatusChange(_Change):
    disabled: bool


@router.get("/users", response_model=list[UserPublic], responses=problems(401, 403, 503))
def list_users(principal: PrincipalDep, container: ContainerDep) -> list[UserPublic]:
    """The users the caller manages: everyone for a platform admin, a state admin's own
    state's users."""
    return [UserPublic.of(u) for u in container.accounts.list_users(principal)]


@router.post("/users", status_code=201, response_model=UserCreated, responses=USER_PROBLEMS)
def add_user(body: NewUser, principal: PrincipalDep, container: ContainerDep) -> UserCreated:
    """Add a user, with the password given or a generated one (returned only here)."""
    state = body.state if isinstance(body, NewStateUser) else None
    accounts = container.accounts
    generated = None
    if body.password is None:
        user, generated = accounts.invite_user(body.email, body.role, state, by=principal)
    else:
        user = accounts.add_user(body.email, body.password, body.role, state, by=principal)
    return UserCreated(**UserPublic.of(user).model_dump(), password=generated)


@router.patch("/users/{user_id}", response_model=UserPublic, responses=USER_PROBLEMS)
def change_user(
    user_id: UserId,
    body: ToPlatformAdmin | ToStateRole | StatusChange,
    principal: PrincipalDep,
    container: ContainerDep,
) -> UserPublic:
    """Change a user's role and state, or disable or enable them. It takes effect at the
    user's next request."""
    accounts = container.accounts
    user = accounts.get_user(user_id, principal)
    if isinstance(body, ToPlatformAdmin | ToStateRole):
        state = body.state if isinstance(body, ToStateRole) else None
        user = accounts.set_role(user.id, body.role, state, by=principal)
    if body.disabled is not None:
        user = accounts.set_disabled(user.id, body.disabled, by=principal)
    return UserPublic.of(user)


@router.delete("/users/{user_id}", status_code=204, responses=USER_PROBLEMS)
def remove_user(user_id: UserId, principal: PrincipalDep, container: ContainerDep) -> Response:
    """Remove a user. What they did stays in history and receipts under their email."""
    container.accounts.remove_user(user_id, by=principal)
    return Response(status_code=204)
