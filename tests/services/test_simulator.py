"""The simulator plays Twilio's part over HTTP: signed requests to our live webhook endpoints, in
Twilio's order, for every kind of outcome; and a simulated campaign run by the real job worker."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from sqlmodel import Session, col, func, select

from reachimpact import jobs
from reachimpact.db import session_scope
from reachimpact.models import Call, Campaign, CampaignContact, Contact, WebhookEvent
from reachimpact.services import campaigns, dialer
from reachimpact.services.telephony import OutboundCall
from reachimpact.services.telephony.simulator import Plan, SimulatorProvider, random_plan
from tests.factories import NOON_IN_NEW_YORK, make_contacts, make_member, new_campaign, start


def run_worker_until_idle() -> None:
    async def go() -> None:
        async with jobs.app.open_async():
            await jobs.app.run_worker_async(
                # One at a time: each event queues the next before the worker looks for more.
                wait=False,
                install_signal_handlers=False,
                listen_notify=False,
                queues=["telephony"],
                concurrency=1,
            )

    asyncio.run(go())


def test_every_outcome_reaches_our_webhooks_signed_and_in_order(live_api: str, session: Session) -> None:
    member = make_member(session)
    people = make_contacts(session, member.organization_id, 7, time_zone="America/New_York")
    plans = {
        people[0].phone: Plan("answered", talk_seconds=60, digits="1", transcript="Count me in."),
        people[1].phone: Plan("answered", talk_seconds=30, digits="9"),
        people[2].phone: Plan("answered", talk_seconds=40),
        people[3].phone: Plan("machine", talk_seconds=20),
        people[4].phone: Plan("busy"),
        people[5].phone: Plan("no-answer"),
        people[6].phone: Plan("invalid"),
    }
    campaign_id = new_campaign(
        session,
        member,
        calls_per_minute=600,
        max_concurrent=20,
        record_calls=True,
        amd_enabled=True,
        machine_action="leave_message",
        transfer_number="+12025550142",
        script="Hi {first_name}, this is a test.",
    )
    start(session, member, campaign_id, now=NOON_IN_NEW_YORK)

    def plan_for(call: OutboundCall) -> Plan:
        return plans[call.to]

    dialer.run_tick(
        campaign_id, provider=SimulatorProvider(plan_for=plan_for, time_scale=0), now=NOON_IN_NEW_YORK
    )
    run_worker_until_idle()

    session.expire_all()
    calls = {c.to_number: c for c in session.exec(select(Call).where(Call.campaign_id == campaign_id))}

    def timeline(phone: str) -> list[str]:
        rows = session.exec(
            select(WebhookEvent)
            .where(WebhookEvent.call_id == calls[phone].id)
            .order_by(col(WebhookEvent.created_at))
        )
        return [e.kind if e.kind != "status" else e.payload["CallStatus"] for e in rows]

    talk = calls[people[0].phone]
    assert (talk.status, talk.outcome, talk.duration_seconds) == ("completed", "talk", 60)
    assert talk.transcript == "Count me in." and talk.recording_url and "/Recordings/RE" in talk.recording_url
    assert timeline(people[0].phone) == [
        "initiated",
        "ringing",
        "in-progress",
        "voice",
        "amd",
        "gather",
        "completed",
        "recording",
    ]
    stop = calls[people[1].phone]
    assert (stop.status, stop.outcome) == ("completed", "opt_out")
    assert session.get(Contact, stop.contact_id).opt_out_calls  # type: ignore[union-attr]
    quiet = calls[people[2].phone]
    assert (quiet.status, quiet.outcome, quiet.answered_by) == ("completed", None, "human")
    machine = calls[people[3].phone]
    assert (machine.status, machine.answered_by) == ("completed", "machine_end_beep")
    assert (calls[people[4].phone].status, calls[people[5].phone].status) == ("busy", "no-answer")
    assert timeline(people[4].phone) == ["initiated", "ringing", "busy"]
    dead = calls[people[6].phone]
    assert (dead.status, dead.error_code, dead.twilio_sid) == ("failed", "21211", None)

    entries = Counter(
        (e.status, e.last_outcome)
        for e in session.exec(select(CampaignContact).where(CampaignContact.campaign_id == campaign_id))
    )
    assert entries == Counter(
        {
            ("done", "completed"): 2,
            ("done", "opted_out"): 1,
            ("done", "machine"): 1,
            ("pending", "busy"): 1,
            ("pending", "no-answer"): 1,
            ("failed", "bad_number"): 1,
        }
    )


def test_random_plans_cover_every_outcome_in_realistic_shares() -> None:
    rng = random.Random(7)
    outcomes = Counter(random_plan(rng).outcome for _ in range(4000))
    assert set(outcomes) == {"answered", "machine", "busy", "no-answer", "failed", "invalid"}
    assert 0.45 < outcomes["answered"] / 4000 < 0.65
    answered = [random_plan(random.Random(seed)) for seed in range(3000)]
    assert {p.digits for p in answered if p.outcome == "answered"} == {"1", "9", None}


def test_a_simulated_campaign_runs_on_the_worker_and_pause_stops_dials_within_a_second(
    live_api: str, session: Session, configure: Callable[..., None]
) -> None:
    configure(simulator_time_scale=0.02)
    member = make_member(session)
    make_contacts(session, member.organization_id, 200, time_zone="UTC")
    campaign_id = new_campaign(
        session, member, calls_per_minute=600, max_concurrent=50, window_start="00:00", window_end="23:59"
    )
    start(session, member, campaign_id)

    async def go() -> tuple[float, int]:
        async with jobs.app.open_async():
            worker = asyncio.create_task(
                jobs.app.run_worker_async(install_signal_handlers=False, queues=["dialer", "telephony"])
            )
            try:
                await asyncio.sleep(2.5)
                paused_at = await asyncio.to_thread(pause)
                await asyncio.sleep(1.5)
                return paused_at, await asyncio.to_thread(calls_after, paused_at + 1.0)
            finally:
                worker.cancel()
                await asyncio.gather(worker, return_exceptions=True)

    def pause() -> float:
        with session_scope() as s:
            campaigns.pause_campaign(s, member, campaign_id)
        return time.time()

    def calls_after(moment: float) -> int:
        with session_scope() as s:
            return s.exec(
                select(func.count())
                .select_from(Call)
                .where(Call.campaign_id == campaign_id, Call.created_at > datetime.fromtimestamp(moment, UTC))
            ).one()

    paused_at, late = asyncio.run(go())
    assert late == 0
    session.expire_all()
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None and campaign.status == "paused"
    placed = session.exec(select(Call).where(Call.campaign_id == campaign_id)).all()
    # Dialling had begun at the campaign's pace: 10 a second after a first burst of 2 s worth.
    assert 5 <= len(placed) <= 10 * 2.5 + 21
    finished = [c for c in placed if c.status in ("completed", "busy", "no-answer", "failed")]
    assert finished, "the simulator's callbacks reached the live webhooks"
    assert all(c.twilio_sid for c in placed if c.error_code is None)
    delivered = session.exec(
        select(func.count())
        .select_from(WebhookEvent)
        .where(col(WebhookEvent.call_id).in_([c.id for c in placed]))
    ).one()
    assert delivered >= len(finished)
    # It was still dialling when paused, so "nothing after" means the pause stopped it.
    assert max(c.created_at for c in placed).timestamp() > paused_at - 1.0
