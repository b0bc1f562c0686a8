"""The Calls page: calls under way and the latest finished ones, kept current live (state/live.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from reachimpact.services import calls
from reachimpact.services.auth import Principal
from reachimpact.state import live
from reachimpact.state.app import AppState, signed_in_event
from reachimpact.state.rows import CallRow, call_row

LIVE_SHOWN = 50
RECENT_SHOWN = 50


@dataclass(frozen=True)
class _Reading:
    """The calls the page shows, read in one transaction."""

    under_way: list[calls.CallPublic]
    finished: list[calls.CallPublic]
    has_older: bool
    tz: ZoneInfo


class CallsState(AppState):
    loading: bool = True
    live_calls: list[CallRow] = rx.field(default_factory=list)
    recent_calls: list[CallRow] = rx.field(default_factory=list)
    has_older: bool = False  # more finished calls than shown
    loading_older: bool = False
    # Pages of finished calls shown: a live refresh reads them all again, so what was opened stays.
    _pages: int = 1

    def _reading(self, session: Session, principal: Principal, pages: int) -> _Reading:
        """The calls under way and the first `pages` pages of finished ones."""
        under_way = calls.list_calls(session, principal, live=True, limit=LIVE_SHOWN).items
        finished: list[calls.CallPublic] = []
        cursor: str | None = None
        for _ in range(pages):
            page = calls.list_calls(session, principal, live=False, limit=RECENT_SHOWN, cursor=cursor)
            finished += page.items
            cursor = page.next_cursor
            if cursor is None:
                break
        return _Reading(
            under_way=under_way,
            finished=finished,
            has_older=cursor is not None,
            tz=self._organization_zone(session, principal),
        )

    async def _read(self) -> None:
        pages = self._pages
        reading = await self._as_user(lambda session, principal: self._reading(session, principal, pages))
        self.live_calls = [call_row(call, reading.tz) for call in reading.under_way]
        self.recent_calls = [call_row(call, reading.tz) for call in reading.finished]
        self.has_older = reading.has_older

    @signed_in_event
    async def show_older(self) -> AsyncIterator[EventSpec | None]:
        self.loading_older = True
        yield
        self._pages += 1
        await self._read()
        self.loading_older = False

    @signed_in_event
    async def load(self) -> None:
        principal = await self._signed_in()
        self._pages = 1
        await self._read()
        live.follow(self, live.Interest(organization_id=str(principal.organization_id)))
        self.loading = False

    async def _live_refresh(self) -> None:
        await self._read()
