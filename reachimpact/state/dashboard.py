"""The dashboard: headline counts and the latest calls."""

from __future__ import annotations

import reflex as rx

from reachimpact.db import session_scope
from reachimpact.services import overview
from reachimpact.state.app import AppState
from reachimpact.state.rows import CallRow, call_row, zone

RECENT_CALLS_SHOWN = 10


class DashboardState(AppState):
    loading: bool = True
    has_organization: bool = False
    contacts: int = 0
    campaigns: int = 0
    running_campaigns: int = 0
    calls_recent: int = 0
    messages_recent: int = 0
    recent_calls: list[CallRow] = rx.field(default_factory=list)

    @rx.event
    def load(self) -> None:
        with session_scope() as session:
            profile = self._current_organization(session)
            self.has_organization = profile is not None
            if profile is None:
                counts = overview.DashboardCounts(0, 0, 0, 0, 0)
                self.recent_calls = []
            else:
                counts = overview.dashboard_counts(session, organization_id=profile.id)
                tz = zone(profile.time_zone)
                self.recent_calls = [
                    call_row(call, tz)
                    for call in overview.recent_calls(
                        session, organization_id=profile.id, limit=RECENT_CALLS_SHOWN
                    )
                ]
        self.contacts = counts.contacts
        self.campaigns = counts.campaigns
        self.running_campaigns = counts.running_campaigns
        self.calls_recent = counts.calls_recent
        self.messages_recent = counts.messages_recent
        self.loading = False
