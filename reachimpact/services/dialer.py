"""The dialer: one tick at a time per running campaign, run by the job worker (reachimpact.jobs.dialer).

A tick
1. reconciles dials recorded but never confirmed with a SID (the worker died between the two),
2. under the campaign's row lock, works out how many dials the pace and the concurrency limit allow,
   claims that many due contacts with FOR UPDATE SKIP LOCKED, records a `queued` call for each, queues
   the next tick, and COMMITS,
3. only then asks the provider for each call and stores the SID it answers.

So every dial is on record before anyone is called: a crash after (2) leaves calls without SID, which
(1) settles with the provider later instead of dialling again blindly.

Pace: a generic cell rate algorithm. `campaigns.next_dial_at` is the moment the next dial is due at
exactly calls_per_minute; a tick may run up to BURST_SECONDS ahead of it, never more, so the long-run
rate is the configured one and a campaign that waited (window closed, lines busy) does not burst.

Time is injectable (`now=`) so calling windows and retries are tested with a controlled clock.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from reachimpact.db import session_scope
from reachimpact.jobs.ticks import schedule_tick
from reachimpact.models import (
    FINAL_CALL_STATUSES,
    Call,
    CallStatus,
    Campaign,
    CampaignContact,
    CampaignContactStatus,
    CampaignStatus,
    CampaignType,
    Contact,
    Direction,
    MachineAction,
    Organization,
)
from reachimpact.models.campaign import default_retry_policy
from reachimpact.services import call_events, campaigns
from reachimpact.services.do_not_contact import calls_blocked
from reachimpact.services.telephony import OutboundCall, TelephonyError, TelephonyProvider
from reachimpact.services.telephony.urls import (
    AMD_PATH,
    RECORDING_PATH,
    STATUS_PATH,
    VOICE_PATH,
    callback_url,
)
from reachimpact.settings import get_settings

logger = logging.getLogger(__name__)

TICK_SECONDS = 1.0
IDLE_TICK_SECONDS = 5.0
BURST_SECONDS = 2.0
MAX_DIALS_PER_TICK = 100
DIAL_THREADS = 8
# A dial the provider cannot account for after this many reconciliation windows is given up on.
UNCONFIRMED_GIVE_UP_FACTOR = 10
LIVE_STATUSES = [s.value for s in CallStatus if s not in FINAL_CALL_STATUSES]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TickResult:
    dialled: int
    # Why the tick stopped where it did: dialled, paced, busy (concurrency), idle, not_running, ...
    reason: str
    next_tick_in: float | None  # seconds; None when the campaign no longer ticks


# --- the tick -------------------------------------------------------------------------------------


def outbound_call(call: Call, campaign: Campaign) -> OutboundCall:
    """The provider request for a recorded call (the same whenever it is rebuilt)."""
    detect = None
    if campaign.amd_enabled:
        detect = "DetectMessageEnd" if campaign.machine_action == MachineAction.LEAVE_MESSAGE else "Enable"
    return OutboundCall(
        call_id=call.id,
        to=call.to_number,
        from_=call.from_number,
        voice_url=callback_url(VOICE_PATH, call.id),
        status_callback=callback_url(STATUS_PATH, call.id),
        record=campaign.record_calls,
        recording_callback=callback_url(RECORDING_PATH, call.id) if campaign.record_calls else None,
        machine_detection=detect,
        amd_callback=callback_url(AMD_PATH, call.id) if detect else None,
    )


def _zone(name: str | None, fallback: ZoneInfo) -> ZoneInfo:
    if not name:
        return fallback
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback  # a zone nobody can read: the organization's


def in_window(campaign: Campaign, zone: ZoneInfo, now: datetime) -> bool:
    """Whether `now` is inside the campaign's calling window on the clocks of `zone`."""
    local = now.astimezone(zone).time()
    start, end = campaign.window_start, campaign.window_end
    if start < end:
        return start <= local < end
    return local >= start or local < end  # a window across midnight


def _open_zones(session: Session, campaign: Campaign, now: datetime) -> list[str]:
    """The contact time zones (as stored; '' for none) whose clocks are inside the window now.

    Evaluated here rather than with AT TIME ZONE in SQL: a zone name PostgreSQL does not know would
    fail the whole claim, and the clock stays the injected one.
    """
    org_zone = session.exec(
        select(Organization.time_zone).where(Organization.id == campaign.organization_id)
    ).one()
    fallback = _zone(org_zone, ZoneInfo("UTC"))
    stored = session.exec(
        select(sa.func.coalesce(Contact.time_zone, ""))
        .join(CampaignContact, CampaignContact.contact_id == Contact.id)
        .where(
            CampaignContact.campaign_id == campaign.id,
            CampaignContact.status == CampaignContactStatus.PENDING,
        )
        .distinct()
    ).all()
    return [name for name in stored if in_window(campaign, _zone(name, fallback), now)]


_CLAIM = sa.text(
    """
    WITH due AS (
        SELECT cc.id
        FROM campaign_contacts cc
        JOIN contacts c ON c.id = cc.contact_id
        WHERE cc.campaign_id = :campaign_id
          AND cc.status = 'pending'
          AND cc.attempts < :max_attempts
          AND (cc.next_attempt_at IS NULL OR cc.next_attempt_at <= :now)
          AND coalesce(c.time_zone, '') = ANY(:open_zones)
          -- services.do_not_contact.may_contact(channel='call'), set-based, on the same tables
          AND NOT c.opt_out_calls
          AND NOT EXISTS (
              SELECT 1 FROM opt_outs o
              WHERE o.organization_id = :organization_id AND o.phone = c.phone
                AND o.channel IN ('all', 'call')
          )
          -- never two calls to one person at once (another campaign may be calling them)
          AND NOT EXISTS (
              SELECT 1 FROM calls k WHERE k.contact_id = c.id AND k.status = ANY(:live_statuses)
          )
        ORDER BY cc.next_attempt_at NULLS FIRST, cc.id
        LIMIT :limit
        FOR UPDATE OF cc SKIP LOCKED
    )
    UPDATE campaign_contacts cc
    SET status = 'dialing', attempts = cc.attempts + 1, last_attempt_at = :now, updated_at = :now
    FROM due, contacts c
    WHERE cc.id = due.id AND c.id = cc.contact_id
    RETURNING cc.id, cc.contact_id, c.phone
    """
)


def claim(session: Session, campaign: Campaign, *, limit: int, now: datetime) -> list[Any]:
    """Lock and mark `dialing` up to `limit` contacts that may be called now: pending and due, attempts
    left, inside their calling window, not opted out or on the do-not-contact list, not on a call."""
    open_zones = _open_zones(session, campaign, now)
    if not open_zones or limit <= 0:
        return []
    policy = {**default_retry_policy(), **(campaign.retry_policy or {})}
    return list(
        session.execute(
            _CLAIM,
            {
                "campaign_id": campaign.id,
                "organization_id": campaign.organization_id,
                "max_attempts": max(int(rule["max_attempts"]) for rule in policy.values()),
                "now": now,
                "open_zones": open_zones,
                "live_statuses": LIVE_STATUSES,
                "limit": limit,
            },
        ).all()
    )


def _skip_blocked(session: Session, campaign: Campaign, now: datetime) -> None:
    """Pending contacts who opted out or were listed after the audience was frozen: skipped, so the
    campaign can finish."""
    blocked = calls_blocked(campaign.organization_id)
    session.execute(
        sa.update(CampaignContact)
        .where(
            CampaignContact.campaign_id == campaign.id,
            CampaignContact.status == CampaignContactStatus.PENDING,
            CampaignContact.contact_id == Contact.id,
            blocked,
        )
        .values(status=CampaignContactStatus.SKIPPED, last_outcome="do_not_contact", updated_at=now)
    )


def _live_calls(session: Session, campaign_id: uuid.UUID) -> int:
    return session.exec(
        select(func.count())
        .select_from(Call)
        .where(Call.campaign_id == campaign_id, col(Call.status).in_(LIVE_STATUSES))
    ).one()


def _unfinished_contacts(session: Session, campaign_id: uuid.UUID) -> int:
    return session.exec(
        select(func.count())
        .select_from(CampaignContact)
        .where(
            CampaignContact.campaign_id == campaign_id,
            col(CampaignContact.status).in_([CampaignContactStatus.PENDING, CampaignContactStatus.DIALING]),
        )
    ).one()


def _plan_tick(
    session: Session, campaign_id: uuid.UUID, now: datetime
) -> tuple[TickResult, list[OutboundCall]]:
    """Step 2 of a tick, in one transaction: decide, claim, record, and queue the next tick."""
    if session.get(Campaign, campaign_id) is None:
        return TickResult(0, "gone", None), []
    campaign = session.exec(
        select(Campaign).where(Campaign.id == campaign_id).with_for_update(skip_locked=True)
    ).first()
    if campaign is None:
        # Someone holds the row (a pause, an edit, another tick): look again shortly.
        schedule_tick(session, campaign_id, at=now + timedelta(seconds=TICK_SECONDS))
        return TickResult(0, "locked", TICK_SECONDS), []
    if campaign.status != CampaignStatus.RUNNING or campaign.type != CampaignType.CALL:
        return TickResult(0, "not_running", None), []
    organization = session.get(Organization, campaign.organization_id)
    if get_settings().twilio_enabled and organization is not None and organization.settings.get("demo"):
        # The demo seed's numbers are made up but may belong to real people: only the simulator calls them.
        logger.warning("not dialling demo campaign %s with real Twilio credentials", campaign.id)
        return TickResult(0, "demo_with_real_provider", None), []
    if campaign.ends_at is not None and now >= campaign.ends_at:
        campaigns.change_status(session, campaign, CampaignStatus.COMPLETED, actor_id=None, now=now)
        return TickResult(0, "ended", None), []

    def again(seconds: float, result: str, dialled: int = 0) -> TickResult:
        schedule_tick(session, campaign.id, at=now + timedelta(seconds=seconds))
        return TickResult(dialled, result, seconds)

    if campaign.starts_at is not None and now < campaign.starts_at:
        return again(min((campaign.starts_at - now).total_seconds(), 60.0), "not_started"), []

    live = _live_calls(session, campaign.id)
    free_lines = campaign.max_concurrent - live
    interval = 60.0 / campaign.calls_per_minute
    due_at = max(campaign.next_dial_at or now, now)
    ahead = (now + timedelta(seconds=BURST_SECONDS) - due_at).total_seconds()
    pace_allows = math.floor(ahead / interval) + 1 if ahead >= 0 else 0
    wanted = min(free_lines, pace_allows, MAX_DIALS_PER_TICK)
    if wanted <= 0:
        return again(TICK_SECONDS, "busy" if free_lines <= 0 else "paced"), []

    claimed = claim(session, campaign, limit=wanted, now=now)
    if not claimed:
        _skip_blocked(session, campaign, now)
        if live == 0 and _unfinished_contacts(session, campaign.id) == 0:
            campaigns.change_status(session, campaign, CampaignStatus.COMPLETED, actor_id=None, now=now)
            return TickResult(0, "completed", None), []
        # Nothing due now (window closed, retries later); calls under way still need watching.
        return again(TICK_SECONDS if live else IDLE_TICK_SECONDS, "idle"), []

    campaign.next_dial_at = due_at + timedelta(seconds=interval * len(claimed))
    calls = [
        Call(
            organization_id=campaign.organization_id,
            campaign_id=campaign.id,
            contact_id=row.contact_id,
            campaign_contact_id=row.id,
            direction=Direction.OUTBOUND,
            from_number=campaign.caller_id or campaigns.SIMULATOR_CALLER_ID,
            to_number=row.phone,
            status=CallStatus.QUEUED,
            created_at=now,
            updated_at=now,
        )
        for row in claimed
    ]
    session.add_all(calls)
    session.flush()
    requests = [outbound_call(call, campaign) for call in calls]
    return again(TICK_SECONDS, "dialled", len(calls)), requests


def _dial(provider: TelephonyProvider, request: OutboundCall, now: datetime) -> None:
    """Step 3 for one call: ask the provider, then store its SID (or the refusal)."""
    try:
        sid = provider.place_call(request)
    except TelephonyError as exc:
        logger.info("dial %s refused: %s", request.call_id, exc)
        # Settled exactly as Twilio's own "failed" callback would be (retry policy, dead numbers), and
        # kept in the call's timeline with the error code.
        refusal = {"CallSid": "", "CallStatus": CallStatus.FAILED.value, "ErrorCode": exc.code or ""}
        with session_scope() as session:
            call_events.handle_status(session, call_id=request.call_id, fields=refusal, now=now)
        return
    except Exception:
        # No answer either way (a network error): the call may or may not exist. It stays without SID
        # and is reconciled with the provider later, never simply dialled again.
        logger.exception("dial %s: the provider's answer was lost", request.call_id)
        return
    with session_scope() as session:
        session.execute(
            sa.update(Call)
            .where(col(Call.id) == request.call_id, col(Call.twilio_sid).is_(None))
            .values(twilio_sid=sid, updated_at=now)
        )


def dial_all(provider: TelephonyProvider, requests: Sequence[OutboundCall], *, now: datetime) -> None:
    """Step 3: place the recorded calls, several at a time (each provider request takes a while)."""
    if len(requests) <= 1:
        for request in requests:
            _dial(provider, request, now)
        return
    with ThreadPoolExecutor(max_workers=min(DIAL_THREADS, len(requests))) as pool:
        list(pool.map(lambda r: _dial(provider, r, now), requests))


def reconcile_unconfirmed(campaign_id: uuid.UUID, *, provider: TelephonyProvider, now: datetime) -> int:
    """Step 1: settle this campaign's dials recorded without a SID for longer than
    DIALER_UNCONFIRMED_AFTER_SECONDS. Returns how many were settled.

    - The provider made the call: keep its SID; its callbacks carry on as usual.
    - The provider made no such call: the attempt never happened; the contact is due again at once and
      the attempt is not counted (the call row stays, failed, outcome not_placed).
    - The provider cannot tell for long: failed with outcome unconfirmed, the attempt counted, and the
      contact is not redialled (a person may have been called).
    """
    wait = timedelta(seconds=get_settings().dialer_unconfirmed_after_seconds)
    settled = 0
    with session_scope() as session:
        stale = session.exec(
            select(Call)
            .where(
                Call.campaign_id == campaign_id,
                col(Call.twilio_sid).is_(None),
                Call.status == CallStatus.QUEUED,
                col(Call.created_at) < now - wait,
            )
            .with_for_update(skip_locked=True)
        ).all()
        if not stale:
            return 0
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        for call in stale:
            try:
                sid = provider.find_call(outbound_call(call, campaign), recorded_at=call.created_at)
            except TelephonyError as exc:
                if now - call.created_at < wait * UNCONFIRMED_GIVE_UP_FACTOR:
                    logger.warning("dial %s: provider cannot tell yet (%s)", call.id, exc)
                    continue
                call.status, call.outcome, call.ended_at, call.updated_at = (
                    CallStatus.FAILED,
                    "unconfirmed",
                    now,
                    now,
                )
                entry = session.get(CampaignContact, call.campaign_contact_id, with_for_update=True)
                if entry is not None and entry.status == CampaignContactStatus.DIALING:
                    entry.status, entry.last_outcome, entry.updated_at = (
                        CampaignContactStatus.FAILED,
                        "unconfirmed",
                        now,
                    )
                settled += 1
                continue
            if sid and session.exec(select(Call.id).where(Call.twilio_sid == sid)).first() is None:
                call.twilio_sid, call.updated_at = sid, now
                logger.info("dial %s: confirmed by the provider as %s", call.id, sid)
            else:
                call.status, call.outcome, call.ended_at, call.updated_at = (
                    CallStatus.FAILED,
                    "not_placed",
                    now,
                    now,
                )
                entry = session.get(CampaignContact, call.campaign_contact_id, with_for_update=True)
                if entry is not None and entry.status == CampaignContactStatus.DIALING:
                    entry.status, entry.next_attempt_at, entry.updated_at = (
                        CampaignContactStatus.PENDING,
                        now,
                        now,
                    )
                    entry.attempts = max(entry.attempts - 1, 0)
                logger.info("dial %s: never placed; its contact is due again", call.id)
            settled += 1
    return settled


def run_tick(
    campaign_id: uuid.UUID, *, provider: TelephonyProvider, now: datetime | None = None
) -> TickResult:
    """One look at a campaign (see the module's docstring)."""
    now = now or utcnow()
    reconcile_unconfirmed(campaign_id, provider=provider, now=now)
    with session_scope() as session:
        result, requests = _plan_tick(session, campaign_id, now)
    dial_all(provider, requests, now=now)
    return result


def ensure_ticking(session: Session) -> int:
    """Queue a tick for every running call campaign that has none waiting (after a crash, a restart, or a
    campaign set running by hand). Returns how many running campaigns there are."""
    running = session.exec(
        select(Campaign.id).where(
            Campaign.status == CampaignStatus.RUNNING, Campaign.type == CampaignType.CALL
        )
    ).all()
    for campaign_id in running:
        schedule_tick(session, campaign_id)
    return len(running)
