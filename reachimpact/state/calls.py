"""The calls page: the latest calls, inbound and outbound."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from reachimpact.db import session_scope
from reachimpact.services import overview
from reachimpact.state.app import AppState
from reachimpact.state.rows import CallRow, call_row


class CallsState(AppState):
    loading: bool = True
    calls: list[CallRow] = rx.field(default_factory=list)

    @rx.event
    def load(self) -> EventSpec | None:
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        with session_scope() as session:
            tz = self._organization_zone(session, principal)
            self.calls = [
                call_row(c, tz)
                for c in overview.recent_calls(session, organization_id=principal.organization_id)
            ]
        self.loading = False
        return None
