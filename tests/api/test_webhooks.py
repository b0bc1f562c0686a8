"""Twilio's webhooks with real signatures: forged or missing ones refused with nothing written,
retries and reordering harmless, TwiML for the call and the key pressed, dead numbers, NOTIFY."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from reachimpact.db import libpq_url
from reachimpact.models import Call, CampaignContact, Contact, OptOut, Role, WebhookEvent
from reachimpact.services import call_events, contacts, dialer
from reachimpact.services.auth import Principal
from reachimpact.services.do_not_contact import may_contact
from reachimpact.services.live_changes import CALLS_CHANNEL, Change, parse
from reachimpact.services.telephony import signatures
from reachimpact.services.telephony.urls import AMD_PATH, GATHER_PATH, RECORDING_PATH, STATUS_PATH, VOICE_PATH
from tests.factories import NOON_IN_NEW_YORK, auth_headers, make_contacts, make_member, new_campaign, start
from tests.fakes.telephony import RecordingProvider
from tests.fakes.twilio import signed_post

pytestmark = pytest.mark.usefixtures("public_base_url")


def dial(session: Session, count: int = 1, **campaign_fields) -> list[Call]:
    """A started campaign whose first tick has dialled `count` contacts (SIDs stored)."""
    member = make_member(session)
    make_contacts(session, member.organization_id, count, time_zone="America/New_York")
    campaign_id = new_campaign(session, member, calls_per_minute=600, max_concurrent=50, **campaign_fields)
    start(session, member, campaign_id, now=NOON_IN_NEW_YORK)
    dialer.run_tick(campaign_id, provider=RecordingProvider(), now=NOON_IN_NEW_YORK)
    session.expire_all()
    calls = session.exec(select(Call).where(Call.campaign_id == campaign_id).order_by(Call.to_number)).all()
    assert len(calls) == count and all(c.twilio_sid for c in calls)
    return list(calls)


def status(client: TestClient, call: Call, value: str, **extra: str):
    fields = {"CallSid": call.twilio_sid or "", "CallStatus": value, "AccountSid": "AC1", **extra}
    return signed_post(client, f"{STATUS_PATH}?call_id={call.id}", fields)


def events(session: Session) -> int:
    return session.exec(select(func.count()).select_from(WebhookEvent)).one()


def test_signed_status_callbacks_move_the_call_forward(client: TestClient, session: Session) -> None:
    (call,) = dial(session)
    for value in ("initiated", "ringing", "in-progress"):
        assert status(client, call, value).status_code == 204
    assert status(client, call, "completed", CallDuration="42").status_code == 204

    session.expire_all()
    done = session.get(Call, call.id)
    assert done is not None
    assert (done.status, done.duration_seconds) == ("completed", 42)
    assert done.started_at and done.answered_at and done.ended_at
    entry = session.get(CampaignContact, done.campaign_contact_id)
    assert entry is not None and (entry.status, entry.last_outcome) == ("done", "completed")
    timeline = session.exec(
        select(WebhookEvent.kind, WebhookEvent.event_key).order_by(WebhookEvent.created_at)
    )
    assert [key.split(":")[-1] for _, key in timeline.all()] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]


def test_forged_missing_or_misaddressed_signatures_are_refused_and_change_nothing(
    client: TestClient, session: Session
) -> None:
    (call,) = dial(session)
    fields = {"CallSid": call.twilio_sid or "", "CallStatus": "completed", "CallDuration": "9"}
    path = f"{STATUS_PATH}?call_id={call.id}"
    forged = signatures.sign(signatures_url(path), list(fields.items()), token="not-our-token")
    elsewhere = signatures.sign(signatures_url(f"{STATUS_PATH}?call_id={uuid.uuid4()}"), list(fields.items()))
    tampered = signatures.sign(signatures_url(path), list({**fields, "CallDuration": "1"}.items()))
    answers = [
        signed_post(client, path, fields, signature=forged),
        client.post(path, data=fields),  # no signature at all
        signed_post(client, path, fields, signature=""),
        signed_post(client, path, fields, signature=elsewhere),  # signed for another URL
        signed_post(client, path, fields, signature=tampered),  # a field changed after signing
    ]
    for path_name in (VOICE_PATH, GATHER_PATH, RECORDING_PATH, AMD_PATH):
        answers.append(client.post(f"{path_name}?call_id={call.id}", data={**fields, "Digits": "9"}))
    assert [a.status_code for a in answers] == [403] * len(answers)
    session.expire_all()
    assert events(session) == 0
    unchanged = session.get(Call, call.id)
    assert unchanged is not None and (unchanged.status, unchanged.duration_seconds) == ("queued", None)
    assert session.exec(select(func.count()).select_from(OptOut)).one() == 0


def signatures_url(path: str) -> str:
    return "https://reach.example.org" + path


def test_retried_and_reordered_callbacks_change_nothing_twice_and_never_go_back(
    client: TestClient, session: Session
) -> None:
    (call,) = dial(session, retry_policy={"busy": {"delay_minutes": 30, "max_attempts": 3}})
    assert status(client, call, "ringing").status_code == 204
    # Twilio retries: the same delivery, twice more.
    assert status(client, call, "busy", CallDuration="0").status_code == 204
    assert status(client, call, "busy", CallDuration="0").status_code == 204
    # A late, out-of-order delivery after the final one.
    assert status(client, call, "initiated").status_code == 204
    assert status(client, call, "in-progress").status_code == 204
    assert status(client, call, "ringing").status_code == 204  # a duplicate too

    session.expire_all()
    settled = session.get(Call, call.id)
    assert settled is not None and settled.status == "busy"
    entry = session.get(CampaignContact, settled.campaign_contact_id)
    assert entry is not None
    # Settled once: one attempt, a retry in 30 minutes (counting from when busy arrived).
    assert (entry.status, entry.attempts, entry.last_outcome) == ("pending", 1, "busy")
    assert entry.next_attempt_at is not None
    assert timedelta(minutes=29) < entry.next_attempt_at - datetime.now(UTC) <= timedelta(minutes=30)
    # Every distinct delivery is in the timeline once, the late ones included.
    assert events(session) == 4


def test_out_of_order_completed_before_answered_keeps_completed(client: TestClient, session: Session) -> None:
    (call,) = dial(session)
    status(client, call, "completed", CallDuration="30")
    status(client, call, "in-progress")
    session.expire_all()
    settled = session.get(Call, call.id)
    assert settled is not None and settled.status == "completed" and settled.duration_seconds == 30
    assert settled.answered_at is not None  # the moment is still worth knowing


def test_a_status_with_our_call_id_stores_a_sid_the_dialer_never_saved(
    client: TestClient, session: Session
) -> None:
    (call,) = dial(session)
    call.twilio_sid = None  # as if the worker died between Twilio's answer and our write
    session.add(call)
    session.commit()
    response = signed_post(
        client, f"{STATUS_PATH}?call_id={call.id}", {"CallSid": "CA" + "7" * 32, "CallStatus": "initiated"}
    )
    assert response.status_code == 204
    session.expire_all()
    stored = session.get(Call, call.id)
    assert stored is not None and (stored.twilio_sid, stored.status) == ("CA" + "7" * 32, "initiated")


def test_callbacks_for_calls_we_do_not_know_are_kept_but_touch_nothing(
    client: TestClient, session: Session
) -> None:
    dial(session)
    response = signed_post(client, STATUS_PATH, {"CallSid": "CA" + "0" * 32, "CallStatus": "completed"})
    assert response.status_code == 204
    kept = session.exec(select(WebhookEvent)).one()
    assert kept.call_id is None and kept.payload["CallStatus"] == "completed"
    assert signed_post(client, STATUS_PATH, {"CallSid": "CA1", "CallStatus": "bogus"}).status_code == 422


def test_voice_twiml_has_consent_script_and_the_menu(client: TestClient, session: Session) -> None:
    (call,) = dial(session, script="Hi {first_name}! Vote on **Tuesday**.", record_calls=True)
    response = signed_post(
        client,
        f"{VOICE_PATH}?call_id={call.id}",
        {"CallSid": call.twilio_sid or "", "CallStatus": "in-progress"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    xml = response.text
    consent = xml.index("This call may be recorded")
    script = xml.index("Hi Person0! Vote on Tuesday.")
    assert consent < script
    assert "Press 1 to talk to us. Press 9 to stop these calls." in xml
    assert f'action="https://reach.example.org{GATHER_PATH}?call_id={call.id}"' in xml
    assert 'numDigits="1"' in xml
    session.expire_all()
    answered = session.get(Call, call.id)
    assert answered is not None and answered.status == "in-progress"

    (unrecorded,) = dial(session, script="Hello.")
    quiet = signed_post(
        client, f"{VOICE_PATH}?call_id={unrecorded.id}", {"CallSid": unrecorded.twilio_sid or ""}
    )
    assert "recorded" not in quiet.text


def test_pressing_1_transfers_or_asks_for_a_call_back(client: TestClient, session: Session) -> None:
    (with_transfer,) = dial(session, transfer_number="(202) 555-0142")
    press = {"CallSid": with_transfer.twilio_sid or "", "Digits": "1"}
    answer = signed_post(client, f"{GATHER_PATH}?call_id={with_transfer.id}", press)
    assert answer.status_code == 200
    assert f'<Dial callerId="{with_transfer.from_number}">+12025550142</Dial>' in answer.text

    (without,) = dial(session)
    answer = signed_post(
        client, f"{GATHER_PATH}?call_id={without.id}", {"CallSid": without.twilio_sid or "", "Digits": "1"}
    )
    assert "call you back" in answer.text and "<Hangup" in answer.text
    session.expire_all()
    assert session.get(Call, with_transfer.id).outcome == "talk"  # type: ignore[union-attr]
    assert session.get(Call, without.id).outcome == "callback"  # type: ignore[union-attr]


def test_pressing_9_opts_the_contact_out_at_once(client: TestClient, session: Session) -> None:
    (call,) = dial(session)
    press = {"CallSid": call.twilio_sid or "", "Digits": "9"}
    first = signed_post(client, f"{GATHER_PATH}?call_id={call.id}", press)
    retried = signed_post(client, f"{GATHER_PATH}?call_id={call.id}", press)
    assert first.status_code == retried.status_code == 200
    assert first.text == retried.text and "not receive any more calls" in first.text

    session.expire_all()
    contact = session.get(Contact, call.contact_id)
    assert contact is not None and contact.opt_out_calls and not contact.opt_out_sms
    blocked = may_contact(session, organization_id=call.organization_id, phone=call.to_number, channel="call")
    assert not blocked.allowed
    optout = session.exec(select(OptOut)).one()
    assert (optout.source, optout.channel, optout.contact_id) == ("ivr", "call", contact.id)
    status(client, call, "completed", CallDuration="12")
    session.expire_all()
    entry = session.get(CampaignContact, call.campaign_contact_id)
    assert entry is not None and (entry.status, entry.last_outcome) == ("done", "opted_out")


def test_recording_and_transcript_are_stored_once(client: TestClient, session: Session) -> None:
    (call,) = dial(session, record_calls=True)
    fields = {
        "CallSid": call.twilio_sid or "",
        "RecordingSid": "RE123",
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE123",
        "RecordingStatus": "completed",
        "RecordingDuration": "31",
        "TranscriptionText": "Yes, count me in.",
    }
    for _ in range(2):
        assert signed_post(client, f"{RECORDING_PATH}?call_id={call.id}", fields).status_code == 204
    session.expire_all()
    stored = session.get(Call, call.id)
    assert stored is not None
    assert (stored.recording_url, stored.transcript) == (fields["RecordingUrl"], "Yes, count me in.")
    assert events(session) == 1


def test_a_machine_is_hung_up_on_through_a_job(client: TestClient, session: Session) -> None:
    (call,) = dial(session, amd_enabled=True, machine_action="hangup")
    fields = {"CallSid": call.twilio_sid or "", "AnsweredBy": "machine_start"}
    assert signed_post(client, f"{AMD_PATH}?call_id={call.id}", fields).status_code == 204
    assert signed_post(client, f"{AMD_PATH}?call_id={call.id}", fields).status_code == 204
    session.expire_all()
    queued = session.exec(
        select(func.count()).select_from(WebhookEvent).where(WebhookEvent.kind == "amd")
    ).one()
    assert queued == 1
    jobs = (
        session.connection()
        .exec_driver_sql("SELECT args FROM procrastinate_jobs WHERE task_name = 'telephony.machine_answered'")
        .all()
    )
    assert [row[0] for row in jobs] == [{"call_id": str(call.id)}]
    provider = RecordingProvider()
    assert call_events.act_on_machine(session, call.id, provider=provider) == {"outcome": "machine_hangup"}
    assert provider.hung_up == [call.twilio_sid]
    assert session.get(Call, call.id).answered_by == "machine_start"  # type: ignore[union-attr]

    (person,) = dial(session, amd_enabled=True)
    signed_post(
        client, f"{AMD_PATH}?call_id={person.id}", {"CallSid": person.twilio_sid or "", "AnsweredBy": "human"}
    )
    count = (
        session.connection()
        .exec_driver_sql(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'telephony.machine_answered'"
        )
        .scalar()
    )
    assert count == 1  # a person gets the script, no job


def test_a_dead_number_is_marked_bad_and_not_redialled(client: TestClient, session: Session) -> None:
    (call,) = dial(session, retry_policy={"failed": {"delay_minutes": 0, "max_attempts": 5}})
    assert status(client, call, "failed", ErrorCode="21214").status_code == 204
    session.expire_all()
    entry = session.get(CampaignContact, call.campaign_contact_id)
    assert entry is not None and (entry.status, entry.last_outcome) == ("failed", "bad_number")
    listed = session.exec(select(OptOut)).one()
    assert (listed.source, listed.channel, listed.phone) == ("bad_number", "call", call.to_number)
    assert "21214" in (listed.reason or "")
    assert not may_contact(
        session, organization_id=call.organization_id, phone=call.to_number, channel="call"
    ).allowed
    assert may_contact(
        session, organization_id=call.organization_id, phone=call.to_number, channel="sms"
    ).allowed
    # The contact page shows the number as do-not-contact (a manager can remove the entry there).
    viewer = Principal(uuid.uuid4(), call.organization_id, Role.AGENT)
    assert contacts.get_contact(session, viewer, call.contact_id).do_not_contact  # type: ignore[arg-type]


def test_with_twilio_configured_only_the_auth_token_signs(
    client: TestClient, session: Session, configure: Callable[..., None]
) -> None:
    (call,) = dial(session)
    simulator_signed = signatures.sign(
        signatures_url(f"{STATUS_PATH}?call_id={call.id}"),
        [("CallSid", call.twilio_sid or ""), ("CallStatus", "ringing")],
    )
    configure(twilio_account_sid="AC" + "2" * 32, twilio_auth_token="real-auth-token")
    fields = {"CallSid": call.twilio_sid or "", "CallStatus": "ringing"}
    path = f"{STATUS_PATH}?call_id={call.id}"
    assert signed_post(client, path, fields, signature=simulator_signed).status_code == 403
    assert signed_post(client, path, fields).status_code == 204  # signed with the auth token


def test_every_call_change_is_announced_with_notify(
    client: TestClient, session: Session, db_url: str
) -> None:
    with psycopg.connect(libpq_url(db_url), autocommit=True) as listener:
        listener.execute(f"LISTEN {CALLS_CHANNEL}")
        (call,) = dial(session)
        status(client, call, "ringing")
        status(client, call, "ringing")  # a retry: no change, no news
        heard = [parse(n.payload) for n in listener.notifies(timeout=1, stop_after=10)]
    mine = [change for change in heard if change and change.call_id == str(call.id)]  # campaigns share it
    # Recorded (queued), SID stored, ringing: each a change a page must show.
    this_call = Change(str(call.organization_id), campaign_id=str(call.campaign_id), call_id=str(call.id))
    assert mine == [this_call] * 3


def entry_of(session: Session, call: Call) -> CampaignContact:
    session.expire_all()
    entry = session.get(CampaignContact, call.campaign_contact_id)
    assert entry is not None
    return entry


def retry_delay(entry: CampaignContact) -> timedelta | None:
    return entry.next_attempt_at - entry.updated_at if entry.next_attempt_at else None


def test_final_statuses_settle_the_contact_by_outcome_and_retry_policy(
    client: TestClient, session: Session
) -> None:
    machine, person, busy, canceled = dial(
        session, 4, retry_policy={"busy": {"delay_minutes": 30, "max_attempts": 1}}
    )
    status(client, machine, "completed", AnsweredBy="machine_end_beep", CallDuration="20")
    status(client, person, "completed", AnsweredBy="human", CallDuration="20")
    status(client, busy, "busy")  # its only attempt
    status(client, canceled, "canceled")  # no rule of its own: the "failed" one (60 minutes, 2 attempts)

    settled = {name: entry_of(session, call) for name, call in locals().items() if isinstance(call, Call)}
    assert {name: (e.status, e.last_outcome, retry_delay(e)) for name, e in settled.items()} == {
        "machine": ("done", "machine", None),
        "person": ("done", "completed", None),
        "busy": ("failed", "busy", None),
        "canceled": ("pending", "canceled", timedelta(minutes=60)),
    }


@pytest.mark.parametrize("code", ["21211", "21215"])
def test_a_failed_call_settles_its_contact_as_a_refused_dial_does(
    client: TestClient, session: Session, code: str
) -> None:
    # Twilio's "failed" callback and the provider refusing the dial must leave the same contact state
    # and the same do-not-contact list.
    policy = {"failed": {"delay_minutes": 5, "max_attempts": 2}}
    (called,) = dial(session, retry_policy=policy)
    assert status(client, called, "failed", ErrorCode=code).status_code == 204

    member = make_member(session)
    (refused,) = make_contacts(session, member.organization_id, 1, time_zone="America/New_York", area="303")
    campaign_id = new_campaign(session, member, calls_per_minute=600, retry_policy=policy)
    start(session, member, campaign_id, now=NOON_IN_NEW_YORK)
    provider = RecordingProvider(refuse={refused.phone: code})
    dialer.run_tick(campaign_id, provider=provider, now=NOON_IN_NEW_YORK)

    by_webhook = entry_of(session, called)
    by_dialer = session.exec(select(CampaignContact).where(CampaignContact.contact_id == refused.id)).one()
    dialer_delay = by_dialer.next_attempt_at - NOON_IN_NEW_YORK if by_dialer.next_attempt_at else None
    assert (by_webhook.status, by_webhook.attempts, by_webhook.last_outcome, retry_delay(by_webhook)) == (
        by_dialer.status,
        by_dialer.attempts,
        by_dialer.last_outcome,
        dialer_delay,
    )
    listed = {o.phone: (o.source, o.channel, o.reason) for o in session.exec(select(OptOut))}
    assert listed.get(called.to_number) == listed.get(refused.phone)
    assert (code == "21211") == (called.to_number in listed)


def test_an_older_attempts_late_news_leaves_the_contact_to_the_latest(
    client: TestClient, session: Session
) -> None:
    (older,) = dial(session)
    newer = Call(
        organization_id=older.organization_id,
        campaign_id=older.campaign_id,
        contact_id=older.contact_id,
        campaign_contact_id=older.campaign_contact_id,
        from_number=older.from_number,
        to_number=older.to_number,
        twilio_sid="CA" + "9" * 32,
        created_at=older.created_at + timedelta(minutes=1),
    )
    session.add(newer)
    session.commit()

    assert status(client, older, "completed", CallDuration="3").status_code == 204
    assert entry_of(session, older).status == "dialing"  # the newer attempt is still under way
    assert status(client, newer, "no-answer").status_code == 204
    entry = entry_of(session, newer)
    assert (entry.status, entry.last_outcome) == ("pending", "no-answer")


@pytest.mark.parametrize(
    ("extra", "expected_duration"),
    [
        ({"CallDuration": "99999999999999999999"}, None),
        ({"CallDuration": "²"}, None),
        ({"CallDuration": "61"}, 61),
    ],
)
def test_an_implausible_duration_is_not_stored_and_the_call_still_ends(
    client: TestClient, session: Session, extra: dict[str, str], expected_duration: int | None
) -> None:
    (call,) = dial(session)
    assert status(client, call, "completed", **extra).status_code == 204
    session.expire_all()
    done = session.get(Call, call.id)
    assert done is not None and (done.status, done.duration_seconds) == ("completed", expected_duration)


def test_a_timestamp_far_from_now_gives_way_to_the_time_of_receipt(
    client: TestClient, session: Session
) -> None:
    (call,) = dial(session)
    before = datetime.now(UTC)
    assert status(client, call, "ringing", Timestamp="Fri, 31 Dec 9999 23:59:59 +0000").status_code == 204
    session.expire_all()
    stored = session.get(Call, call.id)
    assert stored is not None and stored.started_at is not None
    assert before - timedelta(seconds=5) <= stored.started_at <= datetime.now(UTC)
    # And the lists that show it still answer.
    headers = auth_headers(make_member(session, organization_id=call.organization_id))
    assert client.get("/api/calls", headers=headers).status_code == 200
    assert client.get(f"/api/calls/{call.id}", headers=headers).status_code == 200


def test_a_sid_that_cannot_be_twilios_is_refused_with_nothing_written(
    client: TestClient, session: Session
) -> None:
    (call,) = dial(session)
    before = events(session)
    fields = {"CallSid": "CA" + "0" * 98, "CallStatus": "ringing", "AccountSid": "AC1"}
    response = signed_post(client, f"{STATUS_PATH}?call_id={call.id}", fields)
    assert response.status_code == 422
    session.expire_all()
    assert events(session) == before
    assert session.get(Call, call.id).status == call.status


def test_a_nul_character_in_a_signed_webhook_is_dropped_and_the_rest_kept(
    client: TestClient, session: Session
) -> None:
    (call,) = dial(session)
    recording = {
        "CallSid": call.twilio_sid or "",
        "RecordingSid": "RE1",
        "RecordingUrl": "https://api.twilio.com/rec/RE1",
        "TranscriptionText": "hello\x00 there",
    }
    assert signed_post(client, f"{RECORDING_PATH}?call_id={call.id}", recording).status_code == 204
    session.expire_all()
    assert session.get(Call, call.id).transcript == "hello there"
