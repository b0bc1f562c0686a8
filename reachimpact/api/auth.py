"""POST /api/auth/register, /login, /refresh, /logout."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from reachimpact.api.deps import ClientDep, SessionDep
from reachimpact.services import auth
from reachimpact.services.auth import TokenPair

router = APIRouter(prefix="/api/auth", tags=["auth"])


class RegisterBody(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)
    name: str = Field(max_length=200)
    invite_token: str | None = Field(default=None, max_length=200)


class LoginBody(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class RefreshBody(BaseModel):
    refresh_token: str = Field(max_length=200)


@router.post("/register", status_code=status.HTTP_201_CREATED)
def register(body: RegisterBody, session: SessionDep, client: ClientDep) -> TokenPair:
    return auth.register(
        session,
        email=body.email,
        password=body.password,
        name=body.name,
        client=client,
        invite_token=body.invite_token,
    )


@router.post("/login")
def login(body: LoginBody, session: SessionDep, client: ClientDep) -> TokenPair:
    return auth.login(session, email=body.email, password=body.password, client=client)


@router.post("/refresh")
def refresh(body: RefreshBody, session: SessionDep) -> TokenPair:
    return auth.refresh(session, refresh_token=body.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(body: RefreshBody, session: SessionDep) -> Response:
    auth.logout(session, refresh_token=body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
