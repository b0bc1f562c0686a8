"""Rows a test needs, written straight to the test database (arrange), and tokens to act as their users."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from reachimpact.models import Contact, Membership, Organization, Role, User, UserSession
from reachimpact.services import campaigns
from reachimpact.services.auth import Principal, issue_access_token
from reachimpact.services.campaigns import CampaignIn

# Noon on a Tuesday in New York: inside every campaign's default calling window there.
NOON_IN_NEW_YORK = datetime(2026, 3, 3, 17, 0, tzinfo=UTC)


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


def make_contacts(
    session: Session,
    organization_id: uuid.UUID,
    count: int,
    *,
    time_zone: str | None = None,
    tags: list[str] | None = None,
    first: int = 0,
    area: str = "202",
) -> list[Contact]:
    contacts = [
        Contact(
            organization_id=organization_id,
            first_name=f"Person{first + i}",
            last_name="Test",
            phone=f"+1{area}555{first + i:04d}",
            time_zone=time_zone,
            tags=tags or [],
        )
        for i in range(count)
    ]
    session.add_all(contacts)
    session.commit()
    return contacts


def new_campaign(session: Session, principal: Principal, **fields: Any) -> uuid.UUID:
    """A draft campaign made through the service (so its fields are validated like a user's)."""
    data = CampaignIn.model_validate({"name": "Test campaign", **fields})
    created = campaigns.create_campaign(session, principal, data)
    session.commit()
    return created.id


def start(
    session: Session, principal: Principal, campaign_id: uuid.UUID, *, now: datetime | None = None
) -> None:
    campaigns.start_campaign(session, principal, campaign_id, now=now)
    session.commit()
