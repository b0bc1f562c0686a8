"""One campaign's page: its settings, progress and calls, live while it runs, and the buttons that start,
pause, resume, stop or delete it.

The id comes from the address, which anyone can type: the service answers "not found" for another
organization's campaign.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from reachimpact import routes
from reachimpact.errors import DomainError
from reachimpact.services import calls, campaigns
from reachimpact.services.auth import Principal
from reachimpact.services.campaigns import CampaignDetail, CampaignProgress
from reachimpact.services.members import MANAGERS
from reachimpact.state import live
from reachimpact.state.app import AppState, signed_in_event
from reachimpact.state.campaigns import CampaignDraft, campaign_input, draft_of
from reachimpact.state.forms import browser_id, user_message
from reachimpact.state.rows import CallRow, call_row, format_moment

CALLS_SHOWN = 25


@dataclass
class ProgressView:
    total: int = 0
    pending: int = 0
    dialing: int = 0
    done: int = 0
    failed: int = 0
    skipped: int = 0
    remaining: int = 0
    calls_placed: int = 0
    calls_active: int = 0
    answered: int = 0
    answer_rate: str = ""  # "62%"; "" before any call finished
    percent_done: int = 0  # of the audience, for the progress bar


@dataclass
class HistoryRow:
    when: str = ""
    change: str = ""


@dataclass
class CampaignView:
    id: str = ""
    name: str = ""
    status: str = ""
    script: str = ""
    audience: str = ""
    caller_id: str = ""
    transfer_number: str = ""
    window: str = ""
    pacing: str = ""
    retries: str = ""
    machines: str = ""
    recording: str = ""
    created: str = ""
    history: list[HistoryRow] = field(default_factory=list)


def progress_view(progress: CampaignProgress) -> ProgressView:
    finished = progress.done + progress.failed + progress.skipped
    return ProgressView(
        total=progress.total,
        pending=progress.pending,
        dialing=progress.dialing,
        done=progress.done,
        failed=progress.failed,
        skipped=progress.skipped,
        remaining=progress.remaining,
        calls_placed=progress.calls_placed,
        calls_active=progress.calls_active,
        answered=progress.answered,
        answer_rate=f"{progress.answer_rate:.0%}" if progress.answer_rate is not None else "",
        percent_done=round(100 * finished / progress.total) if progress.total else 0,
    )


def _audience(audience: dict) -> str:
    parts = []
    if ids := audience.get("contact_ids"):
        parts.append(f"{len(ids):,} chosen contacts")
    if tags := audience.get("tags"):
        parts.append("contacts tagged " + " or ".join(tags))
    if excluded := audience.get("exclude_tags"):
        parts.append("except those tagged " + " or ".join(excluded))
    if q := audience.get("q"):
        parts.append(f"matching “{q}”")
    return ", ".join(parts) or "Every contact"


def _retries(policy: dict) -> str:
    return "; ".join(
        f"{outcome}: up to {rule['max_attempts']} attempts, {rule['delay_minutes']} min apart"
        for outcome, rule in policy.items()
    )


def campaign_view(campaign: CampaignDetail, tz: ZoneInfo) -> CampaignView:
    return CampaignView(
        id=str(campaign.id),
        name=campaign.name,
        status=campaign.status,
        script=campaign.script,
        audience=_audience(campaign.audience),
        caller_id=campaign.caller_id or "",
        transfer_number=campaign.transfer_number or "",
        window=f"{campaign.window_start:%H:%M}–{campaign.window_end:%H:%M} in each contact's time zone",
        pacing=f"{campaign.calls_per_minute} calls a minute, at most {campaign.max_concurrent} at once",
        retries=_retries(campaign.retry_policy),
        machines=(
            ("leave the message" if campaign.machine_action == "leave_message" else "hang up")
            if campaign.amd_enabled
            else "not detected"
        ),
        recording="recorded, after a consent notice" if campaign.record_calls else "not recorded",
        created=format_moment(campaign.created_at, tz),
        history=[
            HistoryRow(format_moment(change.created_at, tz), f"{change.from_status} → {change.to_status}")
            for change in reversed(campaign.history)
        ],
    )


Action = Callable[[Session, Principal, uuid.UUID], object]


@dataclass(frozen=True)
class _Reading:
    """What the page shows of one campaign, read in one transaction."""

    detail: CampaignDetail
    under_way: list[Any]
    finished: list[Any]
    tz: ZoneInfo


class CampaignDetailState(AppState):
    loading: bool = True
    problem: str = ""  # why nothing is shown ("not found"); "" when the campaign is
    can_manage: bool = False
    busy: bool = False  # a start / pause / resume / stop is being carried out
    campaign: CampaignView = rx.field(default_factory=CampaignView)
    progress: ProgressView = rx.field(default_factory=ProgressView)
    live_calls: list[CallRow] = rx.field(default_factory=list)
    recent_calls: list[CallRow] = rx.field(default_factory=list)

    # The edit dialog.
    editing: bool = False
    saving: bool = False
    edit_error: str = ""
    draft: CampaignDraft = rx.field(default_factory=CampaignDraft)
    draft_version: int = 0
    _audience_editable: bool = False

    def _this_campaign(self) -> uuid.UUID:
        return browser_id(self.campaign_id, "campaign")

    def _reading(self, session: Session, principal: Principal) -> _Reading:
        campaign_id = self._this_campaign()
        return _Reading(
            detail=campaigns.get_campaign(session, principal, campaign_id),
            under_way=calls.list_calls(
                session, principal, campaign_id=campaign_id, live=True, limit=CALLS_SHOWN
            ).items,
            finished=calls.list_calls(
                session, principal, campaign_id=campaign_id, live=False, limit=CALLS_SHOWN
            ).items,
            tz=self._organization_zone(session, principal),
        )

    async def _read(self) -> None:
        """Show the campaign as it now is, or why it cannot be shown."""
        try:
            reading = await self._as_user(self._reading)
        except DomainError as error:
            self.problem = user_message(error)
            return
        self.problem = ""
        self.campaign = campaign_view(reading.detail, reading.tz)
        self.progress = progress_view(reading.detail.progress)
        self.live_calls = [call_row(call, reading.tz) for call in reading.under_way]
        self.recent_calls = [call_row(call, reading.tz) for call in reading.finished]

    @signed_in_event
    async def load(self) -> AsyncIterator[EventSpec | None]:
        principal = await self._signed_in()
        # What a visit to another campaign left here must not show, not even for a moment.
        self.campaign = CampaignView()
        self.progress = ProgressView()
        self.live_calls = self.recent_calls = []
        self.problem = ""
        self.loading = True
        yield
        self.can_manage = principal.role in MANAGERS
        await self._read()
        if not self.problem:
            organization = str(principal.organization_id)
            live.follow(self, live.Interest(organization_id=organization, campaign_id=self.campaign.id))
        self.loading = False

    async def _live_refresh(self) -> None:
        await self._read()

    async def _act(self, action: Action, done: str) -> AsyncIterator[EventSpec | None]:
        self.busy = True
        yield
        try:
            await self._as_user(lambda session, principal: action(session, principal, self._this_campaign()))
        except DomainError as error:
            yield rx.toast.error(user_message(error))
        else:
            yield rx.toast.success(done)
        finally:
            self.busy = False
        await self._read()

    @signed_in_event
    async def start(self) -> AsyncIterator[EventSpec | None]:
        async for update in self._act(
            campaigns.start_campaign, "Campaign started: calls begin within seconds."
        ):
            yield update

    @signed_in_event
    async def pause(self) -> AsyncIterator[EventSpec | None]:
        async for update in self._act(
            campaigns.pause_campaign, "Campaign paused; calls under way will finish."
        ):
            yield update

    @signed_in_event
    async def resume(self) -> AsyncIterator[EventSpec | None]:
        async for update in self._act(campaigns.resume_campaign, "Campaign resumed."):
            yield update

    @signed_in_event
    async def stop(self) -> AsyncIterator[EventSpec | None]:
        async for update in self._act(
            campaigns.stop_campaign, "Campaign stopped; it will place no more calls."
        ):
            yield update

    @signed_in_event
    async def edit(self) -> None:
        campaign = await self._as_user(
            lambda session, principal: campaigns.get_campaign(session, principal, self._this_campaign())
        )
        self.draft = draft_of(campaign)
        self._audience_editable = self.draft.audience_fixed == ""
        self.draft_version += 1
        self.edit_error = ""
        self.editing = True

    @rx.event
    def set_editing(self, is_open: bool) -> None:
        # The dialog opens only through edit(); the browser may only close it.
        if not is_open:
            self.editing = False

    @signed_in_event
    async def save(self, form: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        self.edit_error = ""
        self.saving = True
        yield
        try:
            data = campaign_input(form, with_audience=self._audience_editable)
            await self._as_user(
                lambda session, principal: campaigns.update_campaign(
                    session, principal, self._this_campaign(), data
                )
            )
        except DomainError as error:
            self.edit_error = user_message(error)
            return
        finally:
            self.saving = False
        self.editing = False
        await self._read()
        yield rx.toast.success("Campaign saved.")

    @signed_in_event
    async def delete(self) -> AsyncIterator[EventSpec | None]:
        await self._as_user(
            lambda session, principal: campaigns.delete_campaign(session, principal, self._this_campaign())
        )
        yield rx.toast.success(f"Campaign “{self.campaign.name}” deleted.")
        yield rx.redirect(routes.CAMPAIGNS)
