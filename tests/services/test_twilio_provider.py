"""The real twilio SDK, pointed at a fake Twilio REST server on loopback: the exact requests we send."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from reachimpact.models import Call
from reachimpact.services import dialer
from reachimpact.services.telephony import CallReport, OutboundCall, TelephonyError, get_provider
from reachimpact.services.telephony.twilio import TwilioProvider
from tests.factories import make_contacts, make_member, new_campaign, start
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

CALLS_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    server = FakeTwilio(refuse={"+12025550666": (400, 21211), "+12025550777": (400, 21215)}).start()
    yield server
    server.stop()


@pytest.fixture
def twilio(fake: FakeTwilio) -> TwilioProvider:
    return TwilioProvider(ACCOUNT_SID, AUTH_TOKEN, api_base_url=fake.base_url)


def request(**changes) -> OutboundCall:
    call_id = uuid.UUID("00000000-0000-4000-8000-000000000001")
    base = f"https://reach.example.org/webhooks/twilio/{{}}?call_id={call_id}"
    fields = {
        "call_id": call_id,
        "to": "+12025550100",
        "from_": "+12025550199",
        "voice_url": base.format("voice"),
        "status_callback": base.format("voice/status"),
        **changes,
    }
    return OutboundCall(**fields)


def test_a_call_with_machine_detection_and_recording(fake: FakeTwilio, twilio: TwilioProvider) -> None:
    sid = twilio.place_call(
        request(
            record=True,
            recording_callback="https://reach.example.org/webhooks/twilio/recording?call_id=1",
            machine_detection="DetectMessageEnd",
            amd_callback="https://reach.example.org/webhooks/twilio/amd?call_id=1",
        )
    )
    (sent,) = fake.creates()
    assert sid in fake.calls
    assert sent.path == CALLS_PATH
    assert sent.credentials == (ACCOUNT_SID, AUTH_TOKEN)
    assert sent.form == {
        "To": ["+12025550100"],
        "From": ["+12025550199"],
        "Url": [
            "https://reach.example.org/webhooks/twilio/voice?call_id=00000000-0000-4000-8000-000000000001"
        ],
        "Method": ["POST"],
        "StatusCallback": [
            "https://reach.example.org/webhooks/twilio/voice/status?call_id=00000000-0000-4000-8000-000000000001"
        ],
        "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
        "StatusCallbackMethod": ["POST"],
        "Timeout": ["30"],
        "MachineDetection": ["DetectMessageEnd"],
        "AsyncAmd": ["true"],
        "AsyncAmdStatusCallback": ["https://reach.example.org/webhooks/twilio/amd?call_id=1"],
        "AsyncAmdStatusCallbackMethod": ["POST"],
        "Record": ["true"],
        "RecordingStatusCallback": ["https://reach.example.org/webhooks/twilio/recording?call_id=1"],
        "RecordingStatusCallbackMethod": ["POST"],
    }


def test_a_plain_call_sends_no_detection_or_recording(fake: FakeTwilio, twilio: TwilioProvider) -> None:
    twilio.place_call(request())
    (sent,) = fake.creates()
    assert not {"MachineDetection", "AsyncAmd", "Record", "RecordingStatusCallback"} & set(sent.form)


def test_refusals_carry_twilios_error_code(twilio: TwilioProvider) -> None:
    with pytest.raises(TelephonyError) as dead:
        twilio.place_call(request(to="+12025550666"))
    assert (dead.value.code, dead.value.dead_number) == ("21211", True)
    with pytest.raises(TelephonyError) as other:
        twilio.place_call(request(to="+12025550777"))
    assert (other.value.code, other.value.dead_number) == ("21215", False)


def test_find_hang_up_and_leave_a_message(fake: FakeTwilio, twilio: TwilioProvider) -> None:
    recorded = datetime.now(UTC)
    sid = twilio.place_call(request())
    assert twilio.find_call(request(), recorded_at=recorded) == sid
    assert twilio.find_call(request(to="+12025550101"), recorded_at=recorded) is None
    # A call to the number made long before this dial was recorded is not this dial.
    assert twilio.find_call(request(), recorded_at=recorded + timedelta(minutes=5)) is None
    lookup = [r for r in fake.requests if r.method == "GET"][0]
    assert (lookup.path, lookup.query["To"], lookup.query["From"]) == (
        CALLS_PATH,
        ["+12025550100"],
        ["+12025550199"],
    )

    twilio.hang_up(sid)
    twilio.play_and_hang_up(sid, "<Response><Say>Hello</Say><Hangup/></Response>")
    updates = [r for r in fake.requests if r.path.endswith(f"/Calls/{sid}.json")]
    assert [u.form for u in updates] == [
        {"Status": ["completed"]},
        {"Twiml": ["<Response><Say>Hello</Say><Hangup/></Response>"]},
    ]


def test_a_quiet_call_is_looked_up_by_its_sid(fake: FakeTwilio, twilio: TwilioProvider) -> None:
    sid = twilio.place_call(request())
    assert twilio.call_report(sid) == CallReport("queued", None)
    with fake.lock:
        fake.calls[sid].update(status="completed", duration="42")
    assert twilio.call_report(sid) == CallReport("completed", 42)
    assert twilio.call_report("CA" + "0" * 32) is None  # Twilio knows no such call
    lookups = [r.path for r in fake.requests if r.method == "GET"]
    assert lookups[0] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{sid}.json"


def test_the_dialer_uses_twilio_when_it_is_configured(
    fake: FakeTwilio, session: Session, configure: Callable[..., None]
) -> None:
    configure(
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_api_base_url=fake.base_url,
        twilio_from_number="+12025550188",
        public_base_url="https://reach.example.org",
    )
    member = make_member(session)
    make_contacts(session, member.organization_id, 3, time_zone="America/New_York")
    campaign_id = new_campaign(session, member, record_calls=True, calls_per_minute=600)
    now = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
    start(session, member, campaign_id, now=now)
    provider = get_provider()
    assert isinstance(provider, TwilioProvider)
    dialer.run_tick(campaign_id, provider=provider, now=now)

    calls = {c.id: c for c in session.exec(select(Call).where(Call.campaign_id == campaign_id))}
    sent = fake.creates()
    assert len(sent) == 3
    for request_ in sent:
        (url,) = request_.form["Url"]
        call_id = uuid.UUID(url.rsplit("call_id=", 1)[1])
        call = calls[call_id]
        assert request_.form["To"] == [call.to_number]
        assert request_.form["From"] == ["+12025550188"]  # TWILIO_FROM_NUMBER, the campaign having none
        assert url == f"https://reach.example.org/webhooks/twilio/voice?call_id={call_id}"
        assert request_.form["StatusCallback"] == [
            f"https://reach.example.org/webhooks/twilio/voice/status?call_id={call_id}"
        ]
        assert request_.form["Record"] == ["true"]
        assert call.twilio_sid in fake.calls  # the SID Twilio answered is the one stored
