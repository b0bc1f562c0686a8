"""Rows a test needs, written straight to the test database (arrange), and tokens to act as their users."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from reachimpact.models import Membership, Organization, Role, User
from reachimpact.services.auth import Principal, issue_access_token


def make_member(session: Session, *, role: Role = Role.OWNER, org_name: str = "Test Org") -> Principal:
    """A user who belongs to a fresh organization with `role`."""
    org = Organization(name=org_name)
    user = User(email=f"user-{uuid.uuid4().hex[:8]}@example.org", name="Test User")
    session.add_all([org, user])
    session.flush()
    session.add(Membership(organization_id=org.id, user_id=user.id, role=role))
    session.commit()
    return Principal(user_id=user.id, organization_id=org.id, role=role)


def auth_headers(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_access_token(principal)}"}
