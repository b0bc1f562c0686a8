"""One call's page: who, when, how it went, the timeline of what Twilio reported, recording and transcript.

Followed live while the call is under way. The id comes from the address, which anyone can type: the
service answers "not found" for another organization's call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from reachimpact.errors import DomainError
from reachimpact.services import calls
from reachimpact.services.auth import Principal
from reachimpact.state import live
from reachimpact.state.app import AppState, signed_in_event
from reachimpact.state.forms import browser_id, user_message
from reachimpact.state.rows import format_duration, format_moment


@dataclass
class CallEventRow:
    when: str = ""
    kind: str = ""
    label: str = ""


@dataclass
class CallView:
    id: str = ""
    contact: str = ""
    contact_id: str = ""
    campaign: str = ""
    campaign_id: str = ""
    direction: str = ""
    from_number: str = ""
    to_number: str = ""
    status: str = ""
    live: bool = False
    answered_by: str = ""
    outcome: str = ""
    error_code: str = ""
    duration: str = ""
    started: str = ""
    answered: str = ""
    ended: str = ""
    recording_url: str = ""
    transcript: str = ""
    summary: str = ""
    sentiment: str = ""
    events: list[CallEventRow] = field(default_factory=list)


def call_view(call: calls.CallDetail, tz: ZoneInfo) -> CallView:
    return CallView(
        id=str(call.id),
        contact=call.contact_name or "",
        contact_id=str(call.contact_id or ""),
        campaign=call.campaign_name or "",
        campaign_id=str(call.campaign_id or ""),
        direction=call.direction,
        from_number=call.from_number,
        to_number=call.to_number,
        status=call.status,
        live=call.live,
        answered_by=(call.answered_by or "").replace("_", " "),
        outcome=(call.outcome or "").replace("_", " "),
        error_code=call.error_code or "",
        duration=format_duration(call.duration_seconds),
        started=format_moment(call.started_at or call.created_at, tz),
        answered=format_moment(call.answered_at, tz),
        ended=format_moment(call.ended_at, tz),
        recording_url=call.recording_url or "",
        transcript=call.transcript or "",
        summary=call.summary or "",
        sentiment=call.sentiment or "",
        events=[CallEventRow(format_moment(e.at, tz), e.kind, e.label) for e in call.events],
    )


@dataclass(frozen=True)
class _Reading:
    """What the page shows of one call, read in one transaction."""

    detail: calls.CallDetail
    tz: ZoneInfo


class CallDetailState(AppState):
    loading: bool = True
    problem: str = ""  # why nothing is shown ("not found"); "" when the call is
    call: CallView = rx.field(default_factory=CallView)

    def _reading(self, session: Session, principal: Principal) -> _Reading:
        return _Reading(
            detail=calls.get_call(session, principal, browser_id(self.call_id, "call")),
            tz=self._organization_zone(session, principal),
        )

    async def _read(self) -> None:
        """Show the call as it now is, or why it cannot be shown."""
        try:
            reading = await self._as_user(self._reading)
        except DomainError as error:
            self.call = CallView()
            self.problem = user_message(error)
        else:
            self.call = call_view(reading.detail, reading.tz)
            self.problem = ""

    @signed_in_event
    async def load(self) -> AsyncIterator[EventSpec | None]:
        principal = await self._signed_in()
        # What a visit to another call left here must not show, not even for a moment.
        self.call = CallView()
        self.problem = ""
        self.loading = True
        yield
        await self._read()
        if not self.problem:
            interest = live.Interest(organization_id=str(principal.organization_id), call_id=self.call.id)
            live.follow(self, interest)
        self.loading = False

    async def _live_refresh(self) -> None:
        await self._read()
