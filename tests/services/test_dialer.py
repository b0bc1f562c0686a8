"""The dialer with a controlled clock: calling windows across time zones, do-not-contact, retries,
pace and concurrency, pause, provider refusals, and dials recorded but never confirmed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from reachimpact.db import session_scope
from reachimpact.models import Call, Campaign, CampaignContact, Contact, OptOut
from reachimpact.services import call_events, campaigns, dialer
from reachimpact.services.auth import Principal
from reachimpact.services.do_not_contact import may_contact
from reachimpact.services.telephony import OutboundCall
from tests.factories import make_contacts, make_member, new_campaign, start
from tests.fakes.telephony import RecordingProvider

# 09:30 in New York, 06:30 in Los Angeles, 23:30 in Tokyo.
T0 = datetime(2026, 3, 3, 14, 30, tzinfo=UTC)


def finish(call_id: uuid.UUID, status: str, *, now: datetime, **fields: str) -> None:
    """The provider's final word on a call, through the webhook service."""
    with session_scope() as session:
        call = session.get(Call, call_id)
        assert call is not None
        call_events.handle_status(
            session,
            call_id=call.id,
            fields={"CallSid": call.twilio_sid or "", "CallStatus": status, **fields},
            now=now,
        )


@dataclass
class AnswerLost(RecordingProvider):
    """A provider whose answers never come back (the network drops them, or the worker dies waiting):
    it places the calls to the numbers in `reaches`, and never hears of the others."""

    reaches: set[str] = field(default_factory=set)

    def place_call(self, call: OutboundCall) -> str:
        if call.to in self.reaches:
            super().place_call(call)
        raise ConnectionError("the provider's answer was lost")


def campaign_with(
    session: Session, count: int = 0, *, time_zone: str | None = "America/New_York", **fields
) -> tuple[Principal, uuid.UUID, list[Contact]]:
    member = make_member(session)
    people = make_contacts(session, member.organization_id, count, time_zone=time_zone) if count else []
    campaign_id = new_campaign(session, member, **{"calls_per_minute": 600, "max_concurrent": 100, **fields})
    return member, campaign_id, people


def queued_ticks(session: Session, campaign_id: uuid.UUID) -> list[datetime | None]:
    session.expire_all()
    rows = session.connection().exec_driver_sql(
        "SELECT scheduled_at FROM procrastinate_jobs WHERE task_name = 'dialer.tick' AND status = 'todo' "
        "AND args->>'campaign_id' = %s",
        (str(campaign_id),),
    )
    return [row[0] for row in rows]


def test_calling_windows_follow_each_contacts_own_clock(session: Session) -> None:
    member = make_member(session)
    org = member.organization_id
    zones = ["America/New_York", "America/Los_Angeles", "Asia/Tokyo", None, "Mars/Olympus_Mons"]
    people = {
        zone: make_contacts(session, org, 1, time_zone=zone, first=i)[0] for i, zone in enumerate(zones)
    }
    campaign_id = new_campaign(session, member, calls_per_minute=600)
    start(session, member, campaign_id, now=T0)
    provider = RecordingProvider()

    dialer.run_tick(campaign_id, provider=provider, now=T0)
    # No zone, or one nobody can read: the organization's (America/New_York).
    assert set(provider.numbers()) == {
        people[z].phone for z in ("America/New_York", None, "Mars/Olympus_Mons")
    }

    dialer.run_tick(campaign_id, provider=provider, now=T0 + timedelta(hours=2, minutes=29))
    assert people["America/Los_Angeles"].phone not in provider.numbers()  # 08:59 there
    dialer.run_tick(campaign_id, provider=provider, now=T0 + timedelta(hours=2, minutes=30))
    assert people["America/Los_Angeles"].phone in provider.numbers()  # 09:00 there
    # Tokyo's 09:00-20:00 is 00:00-11:00 UTC: not before tomorrow.
    dialer.run_tick(campaign_id, provider=provider, now=T0 + timedelta(hours=9))
    assert people["Asia/Tokyo"].phone not in provider.numbers()
    dialer.run_tick(campaign_id, provider=provider, now=datetime(2026, 3, 4, 0, 0, tzinfo=UTC))
    assert people["Asia/Tokyo"].phone in provider.numbers()
    assert len(provider.placed) == 5


def test_a_window_across_midnight(session: Session) -> None:
    # One line at a time, so the second person waits for the first call to end and then for the window.
    member, campaign_id, people = campaign_with(
        session, 2, time_zone="Europe/Paris", window_start="22:00", window_end="02:00", max_concurrent=1
    )
    start(session, member, campaign_id, now=T0)
    provider = RecordingProvider()

    def tick(paris_time: datetime) -> dialer.TickResult:
        return dialer.run_tick(campaign_id, provider=provider, now=paris_time.astimezone(UTC))

    paris = ZoneInfo("Europe/Paris")
    assert tick(datetime(2026, 3, 3, 21, 59, tzinfo=paris)).dialled == 0
    assert tick(datetime(2026, 3, 4, 1, 30, tzinfo=paris)).dialled == 1  # after midnight: still open
    ended = datetime(2026, 3, 4, 1, 31, tzinfo=paris).astimezone(UTC)
    finish(provider.placed[0].call_id, "completed", now=ended, CallDuration="5")
    closed = tick(datetime(2026, 3, 4, 2, 0, tzinfo=paris))  # the end is not part of the window
    assert (closed.dialled, closed.reason) == (0, "idle")
    assert tick(datetime(2026, 3, 4, 22, 0, tzinfo=paris)).dialled == 1  # the start is
    assert sorted(provider.numbers()) == sorted(p.phone for p in people)


def test_do_not_contact_is_respected_as_may_contact_says(session: Session) -> None:
    member, campaign_id, people = campaign_with(session, 6)
    start(session, member, campaign_id, now=T0)
    # After the audience was frozen: a contact opts out, numbers are listed for calls, for texts, for all.
    people[0].opt_out_calls = True
    session.add(people[0])
    session.add(OptOut(organization_id=member.organization_id, phone=people[1].phone, channel="call"))
    session.add(OptOut(organization_id=member.organization_id, phone=people[2].phone, channel="all"))
    session.add(OptOut(organization_id=member.organization_id, phone=people[3].phone, channel="sms"))
    # The same number in another organization's list is none of ours.
    other = make_member(session, org_name="Other")
    session.add(OptOut(organization_id=other.organization_id, phone=people[4].phone, channel="all"))
    session.commit()

    provider = RecordingProvider()
    dialer.run_tick(campaign_id, provider=provider, now=T0)
    allowed = {
        p.phone
        for p in people
        if may_contact(session, organization_id=member.organization_id, phone=p.phone, channel="call").allowed
    }
    assert set(provider.numbers()) == allowed == {people[3].phone, people[4].phone, people[5].phone}

    for call in session.exec(select(Call).where(Call.campaign_id == campaign_id)).all():
        finish(call.id, "completed", now=T0, CallDuration="20")
    dialer.run_tick(campaign_id, provider=provider, now=T0 + timedelta(seconds=1))
    session.expire_all()
    entries = {
        e.contact_id: (e.status, e.last_outcome)
        for e in session.exec(select(CampaignContact).where(CampaignContact.campaign_id == campaign_id))
    }
    assert [entries[p.id] for p in people[:3]] == [("skipped", "do_not_contact")] * 3
    assert session.get(Campaign, campaign_id).status == "completed"  # type: ignore[union-attr]


def test_retries_wait_their_delay_and_stop_at_max_attempts(session: Session) -> None:
    policy = {
        "busy": {"delay_minutes": 10, "max_attempts": 3},
        "no-answer": {"delay_minutes": 60, "max_attempts": 1},
    }
    member, campaign_id, (busy_one, absent) = campaign_with(session, 2, retry_policy=policy)
    start(session, member, campaign_id, now=T0)
    provider = RecordingProvider()

    def tick(at: datetime) -> list[str]:
        before = len(provider.placed)
        dialer.run_tick(campaign_id, provider=provider, now=at)
        return [c.to for c in provider.placed[before:]]

    def settle(at: datetime) -> None:
        for call in provider.placed:
            outcome = "busy" if call.to == busy_one.phone else "no-answer"
            finish(call.call_id, outcome, now=at)

    now = T0
    assert sorted(tick(now)) == sorted([busy_one.phone, absent.phone])
    settle(now)
    assert tick(now + timedelta(minutes=9, seconds=59)) == []  # not due yet
    now += timedelta(minutes=10)
    assert tick(now) == [busy_one.phone]  # no-answer had one attempt only
    settle(now)
    now += timedelta(minutes=10)
    assert tick(now) == [busy_one.phone]
    settle(now)
    now += timedelta(minutes=10)
    assert tick(now) == []
    session.expire_all()
    entries = {
        e.contact_id: e
        for e in session.exec(select(CampaignContact).where(CampaignContact.campaign_id == campaign_id))
    }
    assert (
        entries[busy_one.id].status,
        entries[busy_one.id].attempts,
        entries[busy_one.id].last_outcome,
    ) == ("failed", 3, "busy")
    assert (entries[absent.id].status, entries[absent.id].attempts) == ("failed", 1)
    assert session.get(Campaign, campaign_id).status == "completed"  # type: ignore[union-attr]


def test_pace_keeps_calls_per_minute(session: Session) -> None:
    member, campaign_id, _ = campaign_with(session, 40, calls_per_minute=6)
    start(session, member, campaign_id, now=T0)
    provider = RecordingProvider()
    dialled_at = []
    for second in range(60):
        result = dialer.run_tick(campaign_id, provider=provider, now=T0 + timedelta(seconds=second))
        dialled_at += [second] * result.dialled
    # One every 10 s, each allowed up to BURST_SECONDS (2 s) early: 6 a minute, never more.
    assert dialled_at == [0, 8, 18, 28, 38, 48, 58]


def test_pace_at_a_higher_rate_and_after_a_pause_in_dialling(session: Session) -> None:
    member, campaign_id, _ = campaign_with(session, 400, calls_per_minute=120, max_concurrent=200)
    start(session, member, campaign_id, now=T0)
    provider = RecordingProvider()
    per_second = [
        dialer.run_tick(campaign_id, provider=provider, now=T0 + timedelta(seconds=s)).dialled
        for s in range(60)
    ]
    # A burst of 2 s worth at the start, then exactly 2 a second.
    assert per_second[0] == 5 and set(per_second[1:]) == {2}
    # An hour with no dialling does not build up a burst: the same 2 s allowance, then the pace.
    later = T0 + timedelta(hours=1)
    again = [
        dialer.run_tick(campaign_id, provider=provider, now=later + timedelta(seconds=s)).dialled
        for s in range(5)
    ]
    assert again == [5, 2, 2, 2, 2]


def test_concurrency_never_exceeds_the_limit(session: Session) -> None:
    member, campaign_id, _ = campaign_with(session, 10, max_concurrent=3)
    start(session, member, campaign_id, now=T0)
    provider = RecordingProvider()
    for second in range(5):
        dialer.run_tick(campaign_id, provider=provider, now=T0 + timedelta(seconds=second))
    assert len(provider.placed) == 3
    finish(provider.placed[0].call_id, "completed", now=T0, CallDuration="5")
    result = dialer.run_tick(campaign_id, provider=provider, now=T0 + timedelta(seconds=6))
    assert (result.dialled, len(provider.placed)) == (1, 4)
    assert dialer.run_tick(campaign_id, provider=provider, now=T0 + timedelta(seconds=7)).reason == "busy"


def test_nobody_is_called_twice_at_once_across_campaigns(session: Session) -> None:
    member = make_member(session)
    (person,) = make_contacts(session, member.organization_id, 1, time_zone="America/New_York")
    first = new_campaign(session, member, name="First")
    second = new_campaign(session, member, name="Second")
    start(session, member, first, now=T0)
    start(session, member, second, now=T0)
    provider = RecordingProvider()
    dialer.run_tick(first, provider=provider, now=T0)
    dialer.run_tick(second, provider=provider, now=T0)
    assert provider.numbers() == [person.phone]
    finish(provider.placed[0].call_id, "completed", now=T0, CallDuration="5")
    dialer.run_tick(second, provider=provider, now=T0 + timedelta(seconds=1))
    assert provider.numbers() == [person.phone, person.phone]


def test_pause_stops_new_dials_and_resume_picks_up(session: Session) -> None:
    member, campaign_id, _ = campaign_with(session, 10, calls_per_minute=60)
    start(session, member, campaign_id, now=T0)
    assert len(queued_ticks(session, campaign_id)) == 1  # start queued the first tick with it
    provider = RecordingProvider()
    dialer.run_tick(campaign_id, provider=provider, now=T0)
    dialled = len(provider.placed)
    campaigns.pause_campaign(session, member, campaign_id, now=T0 + timedelta(seconds=1))
    session.commit()
    result = dialer.run_tick(campaign_id, provider=provider, now=T0 + timedelta(seconds=2))
    assert (result.reason, result.next_tick_in, len(provider.placed)) == ("not_running", None, dialled)

    campaigns.resume_campaign(session, member, campaign_id, now=T0 + timedelta(seconds=5))
    session.commit()
    assert queued_ticks(session, campaign_id) == [None]  # due at once
    assert dialer.run_tick(campaign_id, provider=provider, now=T0 + timedelta(seconds=5)).dialled > 0


def test_each_tick_queues_the_next_once(session: Session) -> None:
    member, campaign_id, _ = campaign_with(session, 3, calls_per_minute=60)
    start(session, member, campaign_id, now=T0)
    session.connection().exec_driver_sql("DELETE FROM procrastinate_jobs WHERE task_name = 'dialer.tick'")
    session.commit()
    dialer.run_tick(campaign_id, provider=RecordingProvider(), now=T0)
    (due,) = queued_ticks(session, campaign_id)
    assert due == T0 + timedelta(seconds=dialer.TICK_SECONDS)
    # The watchdog finds it waiting and adds none; it brings it forward instead.
    with session_scope() as s:
        assert dialer.ensure_ticking(s) == 1
    assert queued_ticks(session, campaign_id) == [None]


def test_start_and_end_dates(session: Session) -> None:
    member, campaign_id, _ = campaign_with(
        session,
        2,
        starts_at=(T0 + timedelta(hours=1)).isoformat(),
        ends_at=(T0 + timedelta(hours=2)).isoformat(),
    )
    start(session, member, campaign_id, now=T0)
    provider = RecordingProvider()
    result = dialer.run_tick(campaign_id, provider=provider, now=T0)
    assert (result.reason, result.next_tick_in, provider.placed) == ("not_started", 60.0, [])
    assert dialer.run_tick(campaign_id, provider=provider, now=T0 + timedelta(hours=1)).dialled == 2
    result = dialer.run_tick(campaign_id, provider=provider, now=T0 + timedelta(hours=2))
    assert result.reason == "ended"
    session.expire_all()
    assert session.get(Campaign, campaign_id).status == "completed"  # type: ignore[union-attr]


def test_provider_refusals(session: Session) -> None:
    policy = {"failed": {"delay_minutes": 5, "max_attempts": 2}}
    member, campaign_id, (dead, unlucky, fine) = campaign_with(session, 3, retry_policy=policy)
    start(session, member, campaign_id, now=T0)
    provider = RecordingProvider(refuse={dead.phone: "21211", unlucky.phone: "21215"})
    dialer.run_tick(campaign_id, provider=provider, now=T0)
    assert provider.numbers() == [fine.phone]
    session.expire_all()
    calls = {c.to_number: c for c in session.exec(select(Call).where(Call.campaign_id == campaign_id))}
    assert (calls[dead.phone].status, calls[dead.phone].error_code) == ("failed", "21211")
    entries = {
        e.contact_id: e
        for e in session.exec(select(CampaignContact).where(CampaignContact.campaign_id == campaign_id))
    }
    assert (entries[dead.id].status, entries[dead.id].last_outcome) == ("failed", "bad_number")
    # A refusal that says nothing about the number is a failed attempt like any other: retried.
    assert (entries[unlucky.id].status, entries[unlucky.id].last_outcome) == ("pending", "failed")
    assert not may_contact(
        session, organization_id=member.organization_id, phone=dead.phone, channel="call"
    ).allowed


def test_a_dial_recorded_but_never_confirmed_is_reconciled_not_redialled_blindly(
    session: Session, configure: Callable[..., None]
) -> None:
    configure(dialer_unconfirmed_after_seconds=30)
    member, campaign_id, (placed, lost) = campaign_with(session, 2)
    start(session, member, campaign_id, now=T0)
    # The tick records both dials, then no answer comes back: the provider got the first request only.
    cut_off = AnswerLost(reaches={placed.phone})
    assert dialer.run_tick(campaign_id, provider=cut_off, now=T0).dialled == 2
    (first,) = cut_off.placed
    assert first.to == placed.phone
    session.expire_all()
    assert session.exec(select(Call.twilio_sid).where(Call.campaign_id == campaign_id)).all() == [None, None]
    # The same provider account, answering again.
    provider = RecordingProvider(sids=cut_off.sids)

    # Too early to tell: nothing happens, and nobody is called while those calls count as live.
    assert dialer.reconcile_unconfirmed(campaign_id, provider=provider, now=T0 + timedelta(seconds=10)) == 0
    dialer.run_tick(campaign_id, provider=provider, now=T0 + timedelta(seconds=10))
    assert provider.placed == []

    assert dialer.reconcile_unconfirmed(campaign_id, provider=provider, now=T0 + timedelta(seconds=31)) == 2
    session.expire_all()
    calls = {c.to_number: c for c in session.exec(select(Call).where(Call.campaign_id == campaign_id))}
    assert calls[placed.phone].twilio_sid == provider.sids[first.call_id]  # the provider had it: adopted
    assert (calls[lost.phone].status, calls[lost.phone].outcome) == ("failed", "not_placed")
    entries = {
        e.contact_id: e
        for e in session.exec(select(CampaignContact).where(CampaignContact.campaign_id == campaign_id))
    }
    assert (entries[lost.id].status, entries[lost.id].attempts) == ("pending", 0)
    assert entries[placed.id].status == "dialing"

    dialer.run_tick(campaign_id, provider=provider, now=T0 + timedelta(seconds=32))
    assert provider.numbers() == [lost.phone]  # dialled again, on record, once
    total = session.exec(select(col(Call.to_number)).where(Call.campaign_id == campaign_id)).all()
    assert sorted(total) == sorted([placed.phone, lost.phone, lost.phone])


def test_window_settings_are_validated_as_times(session: Session) -> None:
    member, campaign_id, _ = campaign_with(session, window_start="08:15", window_end="21:00")
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None and (campaign.window_start, campaign.window_end) == (time(8, 15), time(21, 0))
