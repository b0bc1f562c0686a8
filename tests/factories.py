"""Rows a test needs, written straight to the test database (arrange), and tokens to act as their users."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from reachimpact.models import Membership, Organization, Role, User, UserSession
from reachimpact.services.auth import Principal, issue_access_token


def make_member(
    session: Session,
    *,
    role: Role = Role.OWNER,
    org_name: str = "Test Org",
    organization_id: uuid.UUID | None = None,
) -> Principal:
    """A signed-in user (with a live session) of a fresh organization, or of `organization_id`."""
    if organization_id is None:
        org = Organization(name=org_name)
        session.add(org)
        session.flush()
        organization_id = org.id
    user = User(email=f"user-{uuid.uuid4().hex[:8]}@example.org", name="Test User")
    session.add(user)
    session.flush()
    user_session = UserSession(
        user_id=user.id, organization_id=organization_id, expires_at=datetime.now(UTC) + timedelta(days=1)
    )
    session.add_all([Membership(organization_id=organization_id, user_id=user.id, role=role), user_session])
    session.commit()
    return Principal(user.id, organization_id, role, user_session.id)


def auth_headers(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_access_token(principal)}"}
