"""The calls page: the latest calls, inbound and outbound."""

from __future__ import annotations

import reflex as rx

from reachimpact.db import session_scope
from reachimpact.services import overview
from reachimpact.state.app import AppState
from reachimpact.state.rows import CallRow, call_row, zone


class CallsState(AppState):
    loading: bool = True
    calls: list[CallRow] = rx.field(default_factory=list)

    @rx.event
    def load(self) -> None:
        with session_scope() as session:
            profile = self._current_organization(session)
            if profile is None:
                self.calls = []
            else:
                tz = zone(profile.time_zone)
                self.calls = [
                    call_row(c, tz) for c in overview.recent_calls(session, organization_id=profile.id)
                ]
        self.loading = False
