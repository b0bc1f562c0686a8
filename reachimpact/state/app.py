"""The base of every page state: which organization the pages show."""

from __future__ import annotations

import uuid

import reflex as rx
from sqlmodel import Session

from reachimpact.services import overview
from reachimpact.services.overview import OrganizationProfile


class AppState(rx.State):
    """Holds the current organization; every page state derives from it and asks it, never the database."""

    # Shown in the top bar; empty while the database has no organization.
    organization_name: str = ""
    # Backend-only: the browser never sees (or chooses) the organization id.
    _organization_id: uuid.UUID | None = None

    def _current_organization(self, session: Session) -> OrganizationProfile | None:
        """The one place that decides whose data a page shows.

        Until sign-in exists this is the oldest organization (`overview.default_organization_id`),
        re-read on every page load so a freshly seeded database shows up without a reload. The auth
        issue replaces it with the signed-in user's organization.
        """
        organization_id = overview.default_organization_id(session)
        profile = (
            overview.organization_profile(session, organization_id=organization_id)
            if organization_id is not None
            else None
        )
        self._organization_id = profile.id if profile else None
        self.organization_name = profile.name if profile else ""
        return profile
