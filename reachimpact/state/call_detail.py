"""One call's page: who, when, how it went, the timeline of what Twilio reported, recording and transcript.

Followed live while the call is under way. The id comes from the address, which anyone can type: the
service answers "not found" for another organization's call.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import reflex as rx
from reflex.event import EventSpec

from reachimpact.db import session_scope
from reachimpact.errors import DomainError
from reachimpact.services import calls
from reachimpact.services.auth import Principal
from reachimpact.state import live
from reachimpact.state.app import AppState
from reachimpact.state.messages import browser_id, user_message
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


class CallDetailState(AppState):
    loading: bool = True
    problem: str = ""  # why nothing is shown ("not found"); "" when the call is
    call: CallView = rx.field(default_factory=CallView)

    def _read(self, principal: Principal) -> None:
        try:
            call_id = browser_id(self.call_id, "call")
            with session_scope() as session:
                detail = calls.get_call(session, principal, call_id)
                tz = self._organization_zone(session, principal)
        except DomainError as error:
            self.call = CallView()
            self.problem = user_message(error)
        else:
            self.call = call_view(detail, tz)
            self.problem = ""

    @rx.event
    def load(self) -> Iterator[EventSpec | None]:
        principal = self._principal()
        if principal is None:
            yield self._sign_in_redirect()
            return
        # What a visit to another call left here must not show, not even for a moment.
        self.call = CallView()
        self.problem = ""
        self.loading = True
        yield
        self._read(principal)
        if not self.problem:
            interest = live.Interest(organization_id=str(principal.organization_id), call_id=self.call.id)
            live.follow(self, interest)
        self.loading = False

    def _live_refresh(self) -> None:
        if (principal := self._principal()) is not None:
            self._read(principal)
