"""Calls whose final callback never came: asked after with the provider and settled through the same path
a status callback takes, so a lost callback never holds a campaign's line for ever."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from reachimpact.api.app import create_api
from reachimpact.db import session_scope
from reachimpact.models import Call, Campaign, CampaignContact
from reachimpact.services import dialer, silent_calls
from reachimpact.services.telephony import CallReport
from reachimpact.services.telephony.simulator import Plan, SimulatorProvider
from tests.factories import make_contacts, make_member, new_campaign, start
from tests.fakes.telephony import RecordingProvider
from tests.fakes.twilio import signed_post


def _calls(session: Session, campaign_id: uuid.UUID) -> dict[str, Call]:
    session.expire_all()
    return {c.to_number: c for c in session.exec(select(Call).where(Call.campaign_id == campaign_id))}


def _quiet_since(moment: datetime) -> None:
    with session_scope() as session:
        for call in session.exec(select(Call)):
            call.updated_at = moment


def test_quiet_calls_are_settled_from_the_providers_account(session: Session) -> None:
    owner = make_member(session)
    ended, talking, unknown = make_contacts(session, owner.organization_id, 3)
    campaign_id = new_campaign(
        session,
        owner,
        window_start="00:00",
        window_end="23:59:59",
        calls_per_minute=600,
        max_concurrent=10,
        retry_policy={"failed": {"delay_minutes": 0, "max_attempts": 1}},
    )
    start(session, owner, campaign_id)
    provider = RecordingProvider()
    now = datetime.now(UTC)
    dialer.run_tick(campaign_id, provider=provider, now=now)
    calls = _calls(session, campaign_id)
    sid = {phone: call.twilio_sid for phone, call in calls.items()}
    provider.reports = {
        sid[ended.phone]: CallReport("completed", 42),
        sid[talking.phone]: CallReport("in-progress"),
    }

    # Heard from recently: nobody is asked.
    assert silent_calls.check_silent_calls(provider=provider, now=now) == 0
    assert provider.asked == []

    _quiet_since(now - timedelta(minutes=11))
    assert silent_calls.check_silent_calls(provider=provider, now=now) == 1
    calls = _calls(session, campaign_id)
    assert (calls[ended.phone].status, calls[ended.phone].duration_seconds) == ("completed", 42)
    assert calls[talking.phone].status == calls[unknown.phone].status == "queued"
    # Asked again only after another quiet spell.
    asked = len(provider.asked)
    assert silent_calls.check_silent_calls(provider=provider, now=now + timedelta(minutes=1)) == 0
    assert len(provider.asked) == asked

    # The provider never heard of one: written off once it is old, and its line is free.
    later = now + timedelta(hours=5)
    _quiet_since(later - timedelta(minutes=11))
    provider.reports[sid[talking.phone]] = CallReport("completed", 300)
    assert silent_calls.check_silent_calls(provider=provider, now=later) == 2
    calls = _calls(session, campaign_id)
    assert (calls[unknown.phone].status, calls[unknown.phone].outcome) == ("failed", "lost")
    assert calls[talking.phone].status == "completed"
    entries = session.exec(select(CampaignContact.status).where(CampaignContact.campaign_id == campaign_id))
    assert sorted(entries) == ["done", "done", "failed"]
    dialer.run_tick(campaign_id, provider=provider, now=later)
    session.expire_all()
    assert session.get(Campaign, campaign_id).status == "completed"  # type: ignore[union-attr]


def test_the_real_callback_arriving_late_changes_nothing(session: Session) -> None:
    owner = make_member(session)
    (person,) = make_contacts(session, owner.organization_id, 1)
    campaign_id = new_campaign(session, owner, window_start="00:00", window_end="23:59:59")
    start(session, owner, campaign_id)
    provider = RecordingProvider()
    now = datetime.now(UTC)
    dialer.run_tick(campaign_id, provider=provider, now=now)
    call = _calls(session, campaign_id)[person.phone]
    provider.reports = {call.twilio_sid: CallReport("busy", 0)}  # type: ignore[dict-item]
    _quiet_since(now - timedelta(minutes=11))
    assert silent_calls.check_silent_calls(provider=provider, now=now) == 1
    with TestClient(create_api()) as client:
        late = signed_post(
            client,
            f"/webhooks/twilio/voice/status?call_id={call.id}",
            {"CallSid": call.twilio_sid or "", "CallStatus": "completed", "CallDuration": "30"},
        )
    assert late.is_success
    calls = _calls(session, campaign_id)
    assert (calls[person.phone].status, calls[person.phone].duration_seconds) == ("busy", 0)
    assert len(session.exec(select(CampaignContact).where(col(CampaignContact.attempts) == 1)).all()) == 1


@pytest.mark.parametrize(("delivered", "expected"), [("todo", "ringing"), ("failed", "no-answer")])
def test_the_simulator_reads_its_own_chain_of_events(session: Session, delivered: str, expected: str) -> None:
    owner = make_member(session)
    (person,) = make_contacts(session, owner.organization_id, 1)
    campaign_id = new_campaign(session, owner, window_start="00:00", window_end="23:59:59")
    start(session, owner, campaign_id)
    simulator = SimulatorProvider(plan_for=lambda call: Plan("no-answer", ring_seconds=30), time_scale=100)
    dialer.run_tick(campaign_id, provider=simulator, now=datetime.now(UTC))
    call = _calls(session, campaign_id)[person.phone]
    assert call.twilio_sid
    # A delivery the worker gave up on after its retries: the chain ends there, its final status unsent.
    session.connection().exec_driver_sql(
        "UPDATE procrastinate_jobs SET status = %s WHERE args->'state'->>'sid' = %s",
        (delivered, call.twilio_sid),
    )
    session.commit()
    duration = 0 if delivered == "failed" else None
    assert simulator.call_report(call.twilio_sid) == CallReport(expected, duration)
    assert simulator.call_report("CA" + "0" * 32) is None
