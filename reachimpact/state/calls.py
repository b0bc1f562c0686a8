"""The Calls page: calls under way and the latest finished ones, kept current live (state/live.py)."""

from __future__ import annotations

from collections.abc import Iterator

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
    has_older: bool = False  # more finished calls than shown
    loading_older: bool = False
    # Pages of finished calls shown: a live refresh reads them all again, so what was opened stays.
    _pages: int = 1

    def _read(self, principal: Principal) -> None:
        with session_scope() as session:
            tz = self._organization_zone(session, principal)
            under_way = calls.list_calls(session, principal, live=True, limit=LIVE_SHOWN).items
            finished: list[calls.CallPublic] = []
            cursor: str | None = None
            for _ in range(self._pages):
                page = calls.list_calls(session, principal, live=False, limit=RECENT_SHOWN, cursor=cursor)
                finished += page.items
                cursor = page.next_cursor
                if cursor is None:
                    break
        self.live_calls = [call_row(call, tz) for call in under_way]
        self.recent_calls = [call_row(call, tz) for call in finished]
        self.has_older = cursor is not None

    @rx.event
    def show_older(self) -> Iterator[EventSpec | None]:
        principal = self._principal()
        if principal is None:
            yield self._sign_in_redirect()
            return
        self.loading_older = True
        yield
        self._pages += 1
        self._read(principal)
        self.loading_older = False

    @rx.event
    def load(self) -> EventSpec | None:
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        self._pages = 1
        self._read(principal)
        live.follow(self, live.Interest(organization_id=str(principal.organization_id)))
        self.loading = False
        return None

    def _live_refresh(self) -> None:
        if (principal := self._principal()) is not None:
            self._read(principal)
