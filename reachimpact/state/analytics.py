"""The analytics page: how the calls of the last 30 days ended."""

from __future__ import annotations

import reflex as rx

from reachimpact.db import session_scope
from reachimpact.services import overview
from reachimpact.state.app import AppState
from reachimpact.state.rows import StatusCountRow, status_count_row


class AnalyticsState(AppState):
    loading: bool = True
    calls_by_status: list[StatusCountRow] = rx.field(default_factory=list)
    total_calls: int = 0

    @rx.event
    def load(self) -> None:
        with session_scope() as session:
            profile = self._current_organization(session)
            counts = [] if profile is None else overview.calls_by_status(session, organization_id=profile.id)
        self.calls_by_status = [status_count_row(c) for c in counts]
        self.total_calls = sum(c.count for c in counts)
        self.loading = False
