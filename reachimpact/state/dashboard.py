"""The dashboard: headline counts and the latest calls."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from reachimpact.db import session_scope
from reachimpact.services import calls, overview
from reachimpact.state.app import AppState
from reachimpact.state.rows import CallRow, call_row

RECENT_CALLS_SHOWN = 10


class DashboardState(AppState):
    loading: bool = True
    # False for an organization with nothing to count yet (e.g. just after sign-up).
    has_data: bool = False
    contacts: int = 0
    campaigns: int = 0
    running_campaigns: int = 0
    calls_recent: int = 0
    messages_recent: int = 0
    recent_calls: list[CallRow] = rx.field(default_factory=list)

    @rx.event
    def load(self) -> EventSpec | None:
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        with session_scope() as session:
            counts = overview.dashboard_counts(session, organization_id=principal.organization_id)
            tz = self._organization_zone(session, principal)
            latest = calls.list_calls(session, principal, limit=RECENT_CALLS_SHOWN).items
            self.recent_calls = [call_row(call, tz) for call in latest]
        self.contacts = counts.contacts
        self.campaigns = counts.campaigns
        self.running_campaigns = counts.running_campaigns
        self.calls_recent = counts.calls_recent
        self.messages_recent = counts.messages_recent
        self.has_data = any((counts.contacts, counts.campaigns, counts.messages_recent, self.recent_calls))
        self.loading = False
        return None
