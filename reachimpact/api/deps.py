"""Typed dependencies that keep route signatures short."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from reachimpact.db import session_scope
from reachimpact.errors import Unauthorized
from reachimpact.services.auth import Principal, decode_access_token

_bearer = HTTPBearer(auto_error=False)


def _session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


def _principal(credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
    unauthorized = HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "Not signed in or the session has expired.",
        {"WWW-Authenticate": "Bearer"},
    )
    if credentials is None:
        raise unauthorized
    try:
        return decode_access_token(credentials.credentials)
    except Unauthorized as exc:
        raise unauthorized from exc


SessionDep = Annotated[Session, Depends(_session)]
CurrentPrincipal = Annotated[Principal, Depends(_principal)]
