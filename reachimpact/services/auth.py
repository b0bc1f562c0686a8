"""Authentication: short-lived JWT access tokens naming the user, their organization and role.

Registration, passwords and refresh-token rotation build on this (see the accounts issue).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from reachimpact.errors import Unauthorized
from reachimpact.models import Role
from reachimpact.settings import get_settings

ACCESS_TOKEN_TTL = timedelta(minutes=15)
_ALGORITHM = "HS256"


@dataclass(frozen=True)
class Principal:
    """Who is acting, and in which organization: every service call that touches data takes one."""

    user_id: uuid.UUID
    organization_id: uuid.UUID
    role: Role


def issue_access_token(principal: Principal, *, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    claims = {
        "sub": str(principal.user_id),
        "org": str(principal.organization_id),
        "role": principal.role.value,
        "iat": int(now.timestamp()),
        "exp": int((now + ACCESS_TOKEN_TTL).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, get_settings().secret_key, algorithm=_ALGORITHM)


def decode_access_token(token: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            get_settings().secret_key,
            algorithms=[_ALGORITHM],
            options={"require": ["sub", "org", "role", "exp", "iat", "jti"]},
        )
        return Principal(
            user_id=uuid.UUID(claims["sub"]),
            organization_id=uuid.UUID(claims["org"]),
            role=Role(claims["role"]),
        )
    except (jwt.PyJWTError, ValueError, KeyError) as exc:
        raise Unauthorized("Not signed in or the session has expired.") from exc
