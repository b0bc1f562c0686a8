"""The campaigns page: the latest campaigns with their type and status."""

from __future__ import annotations

import reflex as rx

from reachimpact.db import session_scope
from reachimpact.services import overview
from reachimpact.state.app import AppState
from reachimpact.state.rows import CampaignRow, campaign_row, zone


class CampaignsState(AppState):
    loading: bool = True
    campaigns: list[CampaignRow] = rx.field(default_factory=list)

    @rx.event
    def load(self) -> None:
        with session_scope() as session:
            profile = self._current_organization(session)
            if profile is None:
                self.campaigns = []
            else:
                tz = zone(profile.time_zone)
                self.campaigns = [
                    campaign_row(c, tz)
                    for c in overview.recent_campaigns(session, organization_id=profile.id)
                ]
        self.loading = False
