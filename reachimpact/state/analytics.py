"""The analytics page: how the calls of the last 30 days ended."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from reachimpact.db import session_scope
from reachimpact.services import overview
from reachimpact.state.app import AppState
from reachimpact.state.rows import StatusCountRow, status_count_row


class AnalyticsState(AppState):
    loading: bool = True
    calls_by_status: list[StatusCountRow] = rx.field(default_factory=list)
    total_calls: int = 0

    @rx.event
    def load(self) -> EventSpec | None:
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        with session_scope() as session:
            counts = overview.calls_by_status(session, organization_id=principal.organization_id)
        self.calls_by_status = [status_count_row(c) for c in counts]
        self.total_calls = sum(c.count for c in counts)
        self.loading = False
        return None
