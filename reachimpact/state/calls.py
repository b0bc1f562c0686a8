"""The Calls page: calls under way and the latest finished ones, kept current live (state/live.py)."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from reachimpact.db import session_scope
from reachimpact.services import calls
from reachimpact.services.auth import Principal
from reachimpact.state import live
from reachimpact.state.app import AppState
from reachimpact.state.rows import CallRow, call_row

LIVE_SHOWN = 50
RECENT_SHOWN = 50


class CallsState(AppState):
    loading: bool = True
    live_calls: list[CallRow] = rx.field(default_factory=list)
    recent_calls: list[CallRow] = rx.field(default_factory=list)

    def _read(self, principal: Principal) -> None:
        with session_scope() as session:
            tz = self._organization_zone(session, principal)
            under_way = calls.list_calls(session, principal, live=True, limit=LIVE_SHOWN).items
            finished = calls.list_calls(session, principal, live=False, limit=RECENT_SHOWN).items
        self.live_calls = [call_row(call, tz) for call in under_way]
        self.recent_calls = [call_row(call, tz) for call in finished]

    @rx.event
    def load(self) -> EventSpec | None:
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        self._read(principal)
        live.follow(self, live.Interest(organization_id=str(principal.organization_id)))
        self.loading = False
        return None

    def _live_refresh(self) -> None:
        if (principal := self._principal()) is not None:
            self._read(principal)
