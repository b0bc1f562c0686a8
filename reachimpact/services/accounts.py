"""The signed-in user's own profile."""

from __future__ import annotations

import uuid
from zoneinfo import available_timezones

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, select

from reachimpact.errors import Conflict, Invalid, Unauthorized
from reachimpact.models import Organization, Role, User
from reachimpact.services.auth import Principal
from reachimpact.services.emails import normalize_email


class Profile(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    time_zone: str
    organization_id: uuid.UUID
    organization_name: str
    role: Role


def get_profile(session: Session, principal: Principal) -> Profile:
    user = session.get(User, principal.user_id)
    organization = session.get(Organization, principal.organization_id)
    if user is None or organization is None:
        raise Unauthorized("Not signed in or the session has expired.")
    return Profile(
        id=user.id,
        email=user.email,
        name=user.name,
        time_zone=user.time_zone,
        organization_id=organization.id,
        organization_name=organization.name,
        role=principal.role,
    )


def update_profile(
    session: Session,
    principal: Principal,
    *,
    name: str | None = None,
    email: str | None = None,
    time_zone: str | None = None,
) -> Profile:
    """Change what is given; validate all of it before changing any of it."""
    user = session.get(User, principal.user_id)
    if user is None:
        raise Unauthorized("Not signed in or the session has expired.")
    if name is not None and not name.strip():
        raise Invalid("Name cannot be empty.")
    if time_zone is not None and time_zone not in available_timezones():
        raise Invalid(f"Unknown time zone {time_zone!r}; use a name like America/Chicago.")
    if email is not None:
        email = normalize_email(email)
        taken = session.exec(
            select(User.id).where(func.lower(User.email) == email, User.id != user.id)
        ).first()
        if taken:
            raise Conflict("An account with this email already exists.")
        user.email = email
    if name is not None:
        user.name = name.strip()[:200]
    if time_zone is not None:
        user.time_zone = time_zone
    session.flush()
    return get_profile(session, principal)
