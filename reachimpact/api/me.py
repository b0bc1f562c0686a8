"""The signed-in user's own account: /api/me, its password and its sessions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from reachimpact.api.deps import CurrentPrincipal, SessionDep
from reachimpact.services import accounts, auth
from reachimpact.services.accounts import Profile
from reachimpact.services.auth import SessionPublic

router = APIRouter(prefix="/api/me", tags=["me"])


class ProfileUpdate(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    time_zone: str | None = Field(default=None, max_length=64)


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


@router.get("")
def read_me(session: SessionDep, principal: CurrentPrincipal) -> Profile:
    return accounts.get_profile(session, principal)


@router.patch("")
def update_me(body: ProfileUpdate, session: SessionDep, principal: CurrentPrincipal) -> Profile:
    return accounts.update_profile(session, principal, **body.model_dump(exclude_unset=True))


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(body: PasswordChange, session: SessionDep, principal: CurrentPrincipal) -> Response:
    auth.change_password(
        session, principal, current_password=body.current_password, new_password=body.new_password
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sessions")
def list_sessions(session: SessionDep, principal: CurrentPrincipal) -> list[SessionPublic]:
    return auth.list_sessions(session, principal)


@router.delete("/sessions/{session_id:uuid}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_session(session_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> Response:
    auth.revoke_session(session, principal, session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
