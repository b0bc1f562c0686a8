"""What the domain reads of an organization's own settings."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from reachimpact.errors import NotFound
from reachimpact.models import Organization

# Numbers written without a country code are read as this region's when the organization names none.
FALLBACK_REGION = "US"


def phone_region(session: Session, organization_id: uuid.UUID) -> str:
    """The region (ISO 3166 alpha-2) the organization's numbers are read in when they lack a country code."""
    query = select(Organization.default_region).where(Organization.id == organization_id)
    region = session.exec(query).first()
    if region is None:
        raise NotFound("organization")
    return region or FALLBACK_REGION
