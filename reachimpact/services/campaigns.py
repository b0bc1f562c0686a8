"""Call campaigns: create and edit, read with their progress, and the state machine

    draft → running ⇄ paused → completed, or stopped

Only those moves are allowed; each is recorded (campaign_status_changes) with who made it, or no one
when the dialer completes a campaign. Owners and admins change campaigns; every member reads them.
Whom a campaign calls (its audience, frozen at start, and contacts added later) is
services.campaign_audience's.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, WithJsonSchema, model_validator
from sqlmodel import Session, col, func, select

from reachimpact.errors import Conflict, Invalid, NotFound
from reachimpact.jobs.ticks import schedule_tick
from reachimpact.models import (
    FINAL_CALL_STATUSES,
    Call,
    Campaign,
    CampaignContact,
    CampaignContactStatus,
    CampaignStatus,
    CampaignStatusChange,
    CampaignType,
    MachineAction,
    PhoneNumber,
)
from reachimpact.models.campaign import default_retry_policy
from reachimpact.services.auth import Principal
from reachimpact.services.campaign_audience import (
    MAX_CONTACTS_ADDED,
    AddedContacts,
    Audience,
    add_to_campaign,
    freeze_audience,
)
from reachimpact.services.live_changes import Change, announce
from reachimpact.services.members import MANAGERS, require_role
from reachimpact.services.organizations import phone_region
from reachimpact.services.phones import normalize_phone
from reachimpact.settings import get_settings

# Caller id of simulated calls when nothing else is set (555-01xx numbers are reserved for fiction).
SIMULATOR_CALLER_ID = "+12025550100"
MAX_CALLS_PER_MINUTE = 1000
MAX_CONCURRENT = 200

TRANSITIONS: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    CampaignStatus.DRAFT: frozenset({CampaignStatus.RUNNING}),
    CampaignStatus.RUNNING: frozenset(
        {CampaignStatus.PAUSED, CampaignStatus.COMPLETED, CampaignStatus.STOPPED}
    ),
    CampaignStatus.PAUSED: frozenset({CampaignStatus.RUNNING, CampaignStatus.STOPPED}),
    CampaignStatus.COMPLETED: frozenset(),
    CampaignStatus.STOPPED: frozenset(),
}
# Changes a running or paused campaign still accepts; its audience and type are fixed once started.
_LIVE_EDITABLE = frozenset(
    {
        "name",
        "script",
        "caller_id",
        "transfer_number",
        "ends_at",
        "window_start",
        "window_end",
        "calls_per_minute",
        "max_concurrent",
        "retry_policy",
        "amd_enabled",
        "machine_action",
        "record_calls",
        "consent_message",
    }
)
RetryOutcome = Literal["busy", "no-answer", "failed"]


def _local(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("is a time of day in each contact's own time zone: write it without an offset")
    return value


# A calling window's end: a time of day in each contact's own time zone, so never with an offset. The
# document says exactly what is accepted ("09:00", "20:30:00"), not JSON Schema's RFC 3339 "time".
LocalTime = Annotated[
    time,
    AfterValidator(_local),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
            "examples": ["09:00", "20:30:00"],
        }
    ),
]


# --- shapes at the edge -------------------------------------------------------------------------------


class RetryRule(BaseModel):
    delay_minutes: int = Field(ge=0, le=7 * 24 * 60)
    max_attempts: int = Field(ge=1, le=10)


class CampaignIn(BaseModel):
    """Fields a manager may set; all optional so the same shape serves create and update."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    type: CampaignType | None = None
    script: str | None = Field(default=None, max_length=20_000)
    audience: Audience | None = None
    caller_id: str | None = Field(default=None, max_length=64)
    transfer_number: str | None = Field(default=None, max_length=64)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    window_start: LocalTime | None = None
    window_end: LocalTime | None = None
    calls_per_minute: int | None = Field(default=None, ge=1, le=MAX_CALLS_PER_MINUTE)
    max_concurrent: int | None = Field(default=None, ge=1, le=MAX_CONCURRENT)
    retry_policy: dict[RetryOutcome, RetryRule] | None = None
    amd_enabled: bool | None = None
    machine_action: MachineAction | None = None
    record_calls: bool | None = None
    consent_message: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _aware_moments(self) -> CampaignIn:
        for name in ("starts_at", "ends_at"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"{name} needs a time zone (e.g. 2026-03-01T09:00:00Z)")
        return self


class CampaignPublic(BaseModel):
    id: uuid.UUID
    name: str
    type: CampaignType
    status: CampaignStatus
    script: str
    audience: dict[str, Any]
    caller_id: str | None
    transfer_number: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    window_start: LocalTime
    window_end: LocalTime
    calls_per_minute: int
    max_concurrent: int
    retry_policy: dict[str, Any]
    amd_enabled: bool
    machine_action: MachineAction
    record_calls: bool
    consent_message: str
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class CampaignPage(BaseModel):
    items: list[CampaignPublic]
    total: int


class StatusChangePublic(BaseModel):
    from_status: CampaignStatus
    to_status: CampaignStatus
    actor_id: uuid.UUID | None
    created_at: datetime


class CampaignProgress(BaseModel):
    """Where a campaign stands: its audience by state, and what its calls came to."""

    status: CampaignStatus
    total: int  # contacts in the frozen audience
    pending: int  # still to dial (now or on a retry)
    dialing: int  # a call is under way
    done: int
    failed: int  # gave up: attempts used up, or a dead number
    skipped: int  # on the do-not-contact list or opted out
    remaining: int  # pending + dialing
    calls_placed: int
    calls_active: int
    answered: int
    answer_rate: float | None  # answered / finished calls


class CampaignDetail(CampaignPublic):
    progress: CampaignProgress
    history: list[StatusChangePublic]


def _public(campaign: Campaign) -> CampaignPublic:
    return CampaignPublic.model_validate(campaign, from_attributes=True)


# --- reading ------------------------------------------------------------------------------------------


def _get(session: Session, principal: Principal, campaign_id: uuid.UUID, *, lock: bool = False) -> Campaign:
    campaign = session.get(Campaign, campaign_id, with_for_update=lock)
    if campaign is None or campaign.organization_id != principal.organization_id:
        raise NotFound("campaign")
    return campaign


def get_campaign(session: Session, principal: Principal, campaign_id: uuid.UUID) -> CampaignDetail:
    campaign = _get(session, principal, campaign_id)
    return CampaignDetail(
        **_public(campaign).model_dump(),
        progress=_progress(session, campaign),
        history=status_history(session, principal, campaign_id),
    )


def list_campaigns(
    session: Session,
    principal: Principal,
    *,
    status: CampaignStatus | None = None,
    type: CampaignType | None = None,
    limit: int = 50,
    offset: int = 0,
) -> CampaignPage:
    conditions = [Campaign.organization_id == principal.organization_id]
    if status is not None:
        conditions.append(Campaign.status == status)
    if type is not None:
        conditions.append(Campaign.type == type)
    total = session.exec(select(func.count()).select_from(Campaign).where(*conditions)).one()
    rows = session.exec(
        select(Campaign)
        .where(*conditions)
        .order_by(col(Campaign.created_at).desc(), col(Campaign.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return CampaignPage(items=[_public(c) for c in rows], total=total)


def status_history(
    session: Session, principal: Principal, campaign_id: uuid.UUID
) -> list[StatusChangePublic]:
    _get(session, principal, campaign_id)
    rows = session.exec(
        select(CampaignStatusChange)
        .where(CampaignStatusChange.campaign_id == campaign_id)
        .order_by(col(CampaignStatusChange.created_at), col(CampaignStatusChange.id))
    ).all()
    return [StatusChangePublic.model_validate(r, from_attributes=True) for r in rows]


def campaign_progress(session: Session, principal: Principal, campaign_id: uuid.UUID) -> CampaignProgress:
    """The numbers a campaign page shows (and refreshes on each calls_changed notification)."""
    return _progress(session, _get(session, principal, campaign_id))


def _progress(session: Session, campaign: Campaign) -> CampaignProgress:
    by_status = dict(
        session.exec(
            select(CampaignContact.status, func.count())
            .where(CampaignContact.campaign_id == campaign.id)
            .group_by(CampaignContact.status)
        ).all()
    )
    final = [s.value for s in FINAL_CALL_STATUSES]
    placed, active, answered, finished = session.exec(
        select(
            func.count(),
            func.count().filter(col(Call.status).not_in(final)),
            func.count().filter(col(Call.answered_at).is_not(None)),
            func.count().filter(col(Call.status).in_(final)),
        ).where(Call.campaign_id == campaign.id)
    ).one()
    count = {s: int(by_status.get(s.value, 0)) for s in CampaignContactStatus}
    return CampaignProgress(
        status=CampaignStatus(campaign.status),
        total=sum(count.values()),
        pending=count[CampaignContactStatus.PENDING],
        dialing=count[CampaignContactStatus.DIALING],
        done=count[CampaignContactStatus.DONE],
        failed=count[CampaignContactStatus.FAILED],
        skipped=count[CampaignContactStatus.SKIPPED],
        remaining=count[CampaignContactStatus.PENDING] + count[CampaignContactStatus.DIALING],
        calls_placed=placed,
        calls_active=active,
        answered=answered,
        answer_rate=round(answered / finished, 4) if finished else None,
    )


# --- writing ------------------------------------------------------------------------------------------


def _apply(session: Session, campaign: Campaign, data: CampaignIn, fields: set[str]) -> None:
    region = phone_region(session, campaign.organization_id)
    for name in fields:
        value = getattr(data, name)
        if name in ("caller_id", "transfer_number"):
            value = normalize_phone(value, region) if value and value.strip() else None
        elif name == "audience":
            value = (value or Audience()).model_dump(mode="json", exclude_defaults=True)
        elif name == "retry_policy":
            value = {**default_retry_policy(), **{k: v.model_dump() for k, v in (value or {}).items()}}
        elif name in ("script", "consent_message"):
            value = value or ""
        elif value is None and name not in ("starts_at", "ends_at"):
            raise Invalid(f"{name} cannot be empty.")
        setattr(campaign, name, value)
    if campaign.window_start == campaign.window_end:
        raise Invalid("The calling window must not start and end at the same time.")
    if campaign.starts_at and campaign.ends_at and campaign.starts_at >= campaign.ends_at:
        raise Invalid("The campaign must end after it starts.")


def create_campaign(session: Session, principal: Principal, data: CampaignIn) -> CampaignPublic:
    require_role(principal, MANAGERS, "create campaigns")
    if not data.name:
        raise Invalid("A campaign needs a name.")
    campaign = Campaign(
        organization_id=principal.organization_id, name=data.name, created_by_id=principal.user_id
    )
    _apply(session, campaign, data, data.model_fields_set - {"name"})
    session.add(campaign)
    session.flush()
    return _public(campaign)


def update_campaign(
    session: Session, principal: Principal, campaign_id: uuid.UUID, data: CampaignIn
) -> CampaignPublic:
    require_role(principal, MANAGERS, "edit campaigns")
    campaign = _get(session, principal, campaign_id, lock=True)
    fields = set(data.model_fields_set)
    if campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.STOPPED):
        raise Conflict(f"A {campaign.status} campaign can no longer be changed.")
    if campaign.status != CampaignStatus.DRAFT and fields - _LIVE_EDITABLE:
        fixed = ", ".join(sorted(fields - _LIVE_EDITABLE))
        raise Conflict(f"Once started, a campaign's {fixed} cannot change.")
    _apply(session, campaign, data, fields)
    campaign.updated_at = datetime.now(UTC)
    session.flush()
    return _public(campaign)


def delete_campaign(session: Session, principal: Principal, campaign_id: uuid.UUID) -> None:
    """Delete a campaign that is not under way (its calls stay in the call history)."""
    require_role(principal, MANAGERS, "delete campaigns")
    campaign = _get(session, principal, campaign_id, lock=True)
    if campaign.status in (CampaignStatus.RUNNING, CampaignStatus.PAUSED):
        raise Conflict("Stop the campaign before deleting it.")
    session.delete(campaign)


# --- the state machine --------------------------------------------------------------------------------


def change_status(
    session: Session,
    campaign: Campaign,
    to: CampaignStatus,
    *,
    actor_id: uuid.UUID | None,
    now: datetime,
    only_from: CampaignStatus | None = None,
    verb: str | None = None,
) -> None:
    """Move a (locked) campaign to `to` if the state machine allows it (and, for start and resume,
    only from `only_from`), and record who did."""
    before = CampaignStatus(campaign.status)
    if to not in TRANSITIONS[before] or (only_from is not None and before != only_from):
        raise Conflict(f"A {before.value} campaign cannot be {verb or _VERB[to]}.")
    campaign.status = to
    campaign.updated_at = now
    if to == CampaignStatus.RUNNING and campaign.started_at is None:
        campaign.started_at = now
    if to in (CampaignStatus.COMPLETED, CampaignStatus.STOPPED):
        campaign.completed_at = now
    announce(session, Change(organization_id=str(campaign.organization_id), campaign_id=str(campaign.id)))
    session.add(
        CampaignStatusChange(
            organization_id=campaign.organization_id,
            campaign_id=campaign.id,
            from_status=before,
            to_status=to,
            actor_id=actor_id,
            created_at=now,
        )
    )


_VERB = {
    CampaignStatus.RUNNING: "started",
    CampaignStatus.PAUSED: "paused",
    CampaignStatus.COMPLETED: "completed",
    CampaignStatus.STOPPED: "stopped",
    CampaignStatus.DRAFT: "made a draft again",
}


def _caller_id(session: Session, campaign: Campaign) -> str:
    """The number the campaign calls from: its own, else the organization's first voice number, else
    TWILIO_FROM_NUMBER; the simulator makes do with a fictional number."""
    if campaign.caller_id:
        return campaign.caller_id
    owned = session.exec(
        select(PhoneNumber.number)
        .where(PhoneNumber.organization_id == campaign.organization_id, PhoneNumber.voice_enabled)
        .order_by(col(PhoneNumber.created_at))
        .limit(1)
    ).first()
    settings = get_settings()
    number = owned or settings.twilio_from_number
    if number:
        return number
    if settings.twilio_enabled:
        raise Invalid("Set the campaign's caller ID (or TWILIO_FROM_NUMBER) before starting it.")
    return SIMULATOR_CALLER_ID


def start_campaign(
    session: Session, principal: Principal, campaign_id: uuid.UUID, *, now: datetime | None = None
) -> CampaignPublic:
    """Freeze the audience and let the dialer begin (at `starts_at` if that is later)."""
    require_role(principal, MANAGERS, "start campaigns")
    now = now or datetime.now(UTC)
    campaign = _get(session, principal, campaign_id, lock=True)
    if campaign.status == CampaignStatus.DRAFT and campaign.type != CampaignType.CALL:
        raise Invalid("Only call campaigns can be started for now.")
    change_status(
        session,
        campaign,
        CampaignStatus.RUNNING,
        actor_id=principal.user_id,
        now=now,
        only_from=CampaignStatus.DRAFT,
    )
    if campaign.ends_at is not None and campaign.ends_at <= now:
        raise Invalid("The campaign's end date has passed; change it before starting.")
    campaign.caller_id = _caller_id(session, campaign)
    if freeze_audience(session, campaign, now) == 0:
        raise Invalid("The audience has no contacts; choose other tags or contacts.")
    campaign.next_dial_at = None
    schedule_tick(session, campaign.id)
    session.flush()
    return _public(campaign)


def pause_campaign(
    session: Session, principal: Principal, campaign_id: uuid.UUID, *, now: datetime | None = None
) -> CampaignPublic:
    """No new dials from the moment this commits; calls under way finish."""
    require_role(principal, MANAGERS, "pause campaigns")
    campaign = _get(session, principal, campaign_id, lock=True)
    change_status(
        session, campaign, CampaignStatus.PAUSED, actor_id=principal.user_id, now=now or datetime.now(UTC)
    )
    session.flush()
    return _public(campaign)


def resume_campaign(
    session: Session, principal: Principal, campaign_id: uuid.UUID, *, now: datetime | None = None
) -> CampaignPublic:
    require_role(principal, MANAGERS, "resume campaigns")
    campaign = _get(session, principal, campaign_id, lock=True)
    change_status(
        session,
        campaign,
        CampaignStatus.RUNNING,
        actor_id=principal.user_id,
        now=now or datetime.now(UTC),
        only_from=CampaignStatus.PAUSED,
        verb="resumed",
    )
    schedule_tick(session, campaign.id)
    session.flush()
    return _public(campaign)


def stop_campaign(
    session: Session, principal: Principal, campaign_id: uuid.UUID, *, now: datetime | None = None
) -> CampaignPublic:
    """End the campaign for good: nobody else is dialled; calls under way finish."""
    require_role(principal, MANAGERS, "stop campaigns")
    campaign = _get(session, principal, campaign_id, lock=True)
    change_status(
        session, campaign, CampaignStatus.STOPPED, actor_id=principal.user_id, now=now or datetime.now(UTC)
    )
    session.flush()
    return _public(campaign)


# --- adding contacts ----------------------------------------------------------------------------------


def add_contacts(
    session: Session,
    principal: Principal,
    campaign_id: uuid.UUID,
    contact_ids: list[uuid.UUID],
    *,
    now: datetime | None = None,
) -> AddedContacts:
    """Add contacts of the principal's organization to a call campaign (ids of any other contact are
    counted as not found and never added).

    A draft's audience becomes, or grows, an explicit list of contacts: a draft still aimed at every
    contact is narrowed to the list, since choosing contacts for it says whom to call; a draft whose
    audience is chosen by tags or a search is refused (adding to it would mean a list AND tags, i.e.
    fewer people, not more), with the advice to tag the contacts instead. A running or paused campaign
    gets them straight into the contacts it dials, skipped when they may not be called, like the
    audience frozen at start. Completed and stopped campaigns take no one.
    """
    require_role(principal, MANAGERS, "add contacts to campaigns")
    if len(contact_ids) > MAX_CONTACTS_ADDED:
        raise Invalid(f"Add at most {MAX_CONTACTS_ADDED:,} contacts at a time.")
    campaign = _get(session, principal, campaign_id, lock=True)
    return add_to_campaign(session, campaign, contact_ids, now or datetime.now(UTC))
