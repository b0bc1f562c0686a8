"""The dashboard: headline counts and the latest calls."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import reflex as rx
from sqlmodel import Session

from reachimpact.services import calls, overview
from reachimpact.services.auth import Principal
from reachimpact.state.app import AppState, signed_in_event
from reachimpact.state.rows import CallRow, call_row

RECENT_CALLS_SHOWN = 10


@dataclass(frozen=True)
class _Reading:
    """What the dashboard shows, read in one transaction."""

    counts: overview.DashboardCounts
    latest: list[calls.CallPublic]
    tz: ZoneInfo


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

    def _reading(self, session: Session, principal: Principal) -> _Reading:
        return _Reading(
            counts=overview.dashboard_counts(session, organization_id=principal.organization_id),
            latest=calls.list_calls(session, principal, limit=RECENT_CALLS_SHOWN).items,
            tz=self._organization_zone(session, principal),
        )

    @signed_in_event
    async def load(self) -> None:
        reading = await self._as_user(self._reading)
        counts = reading.counts
        self.recent_calls = [call_row(call, reading.tz) for call in reading.latest]
        self.contacts = counts.contacts
        self.campaigns = counts.campaigns
        self.running_campaigns = counts.running_campaigns
        self.calls_recent = counts.calls_recent
        self.messages_recent = counts.messages_recent
        self.has_data = any((counts.contacts, counts.campaigns, counts.messages_recent, self.recent_calls))
        self.loading = False
