"""Typed dependencies that keep route signatures short."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from reachimpact.db import session_scope
from reachimpact.errors import Unauthorized
from reachimpact.services.auth import Client, Principal, authenticate

# Bounds of paging parameters: far past any real list, well inside PostgreSQL's 64-bit integers (a
# page number times its size must not overflow when it becomes an OFFSET).
MAX_OFFSET = 100_000_000
MAX_PAGE = 1_000_000

_bearer = HTTPBearer(
    auto_error=False, description="An access token from /api/auth/login or /api/auth/refresh"
)


def _session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


# scope="function": commit before the response is sent, so a client's next request sees the write.
SessionDep = Annotated[Session, Depends(_session, scope="function")]


def _principal(
    session: SessionDep, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Principal:
    if credentials is None:
        raise Unauthorized("Not signed in or the session has expired.")
    return authenticate(session, credentials.credentials)


def _client(request: Request) -> Client:
    return Client.from_request(request.headers, request.client.host if request.client else None)


CurrentPrincipal = Annotated[Principal, Depends(_principal)]
ClientDep = Annotated[Client, Depends(_client)]
