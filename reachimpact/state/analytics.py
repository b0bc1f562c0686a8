"""The analytics page: how the calls of the last 30 days ended."""

from __future__ import annotations

import reflex as rx

from reachimpact.services import overview
from reachimpact.state.app import AppState, signed_in_event
from reachimpact.state.rows import StatusCountRow, status_count_row


class AnalyticsState(AppState):
    loading: bool = True
    calls_by_status: list[StatusCountRow] = rx.field(default_factory=list)
    total_calls: int = 0

    @signed_in_event
    async def load(self) -> None:
        counts = await self._as_user(
            lambda session, principal: overview.calls_by_status(
                session, organization_id=principal.organization_id
            )
        )
        self.calls_by_status = [status_count_row(c) for c in counts]
        self.total_calls = sum(c.count for c in counts)
        self.loading = False
