"""What live pages are told: the NOTIFYs a call change and a campaign's move send, as the listener reads
them, and which followed pages each one concerns. The trigger on calls builds its payload in SQL: it must
be the very object services.live_changes describes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session

from reachimpact.models import Call, CallStatus
from reachimpact.services import campaigns
from reachimpact.services.live_changes import CALLS_CHANNEL, CHANNELS, Change, encode, parse
from reachimpact.state.live import Interest
from tests.factories import make_contacts, make_member, new_campaign


@pytest.fixture
def listener(db_url: str) -> Iterator[psycopg.Connection]:
    conninfo = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for channel in CHANNELS:
            conn.execute(f"LISTEN {channel}")
        yield conn


def _heard(conn: psycopg.Connection) -> list[Change]:
    return [change for n in conn.notifies(timeout=1) if (change := parse(n.payload)) is not None]


def test_call_changes_and_campaign_moves_reach_the_pages_that_follow_them(
    session: Session, listener: psycopg.Connection
) -> None:
    owner = make_member(session)
    org = str(owner.organization_id)
    make_contacts(session, owner.organization_id, 2)
    campaign_id = new_campaign(session, owner, window_start="00:00", window_end="23:59")
    campaigns.start_campaign(session, owner, campaign_id)
    session.commit()
    assert _heard(listener) == [Change(organization_id=org, campaign_id=str(campaign_id), call_id=None)]

    call = Call(organization_id=owner.organization_id, campaign_id=campaign_id, to_number="+12025550000")
    session.add(call)
    session.commit()
    call.status = CallStatus.RINGING
    session.commit()
    call.updated_at = datetime.now(UTC)  # nothing a page shows changed: no notification
    session.commit()
    heard = _heard(listener)
    assert heard == [Change(organization_id=org, campaign_id=str(campaign_id), call_id=str(call.id))] * 2

    calls_page = Interest(organization_id=org)
    this_campaign = Interest(organization_id=org, campaign_id=str(campaign_id))
    this_call = Interest(organization_id=org, call_id=str(call.id))
    other_call = Interest(organization_id=org, call_id="00000000-0000-0000-0000-000000000000")
    other_org = Interest(organization_id="00000000-0000-0000-0000-000000000001")
    assert [i.covers(heard[0]) for i in (calls_page, this_campaign, this_call, other_call, other_org)] == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_the_trigger_on_calls_sends_the_payload_of_live_changes(
    session: Session, listener: psycopg.Connection
) -> None:
    owner = make_member(session)
    org = str(owner.organization_id)
    campaign_id = new_campaign(session, owner)
    call = Call(organization_id=owner.organization_id, campaign_id=campaign_id, to_number="+12025550000")
    session.add(call)
    session.commit()
    lone = Call(organization_id=owner.organization_id, to_number="+12025550001")  # of no campaign
    session.add(lone)
    session.commit()
    call.status = CallStatus.IN_PROGRESS
    session.commit()

    heard = [(n.channel, json.loads(n.payload)) for n in listener.notifies(timeout=1, stop_after=3)]
    expected = [
        Change(organization_id=org, campaign_id=str(campaign_id), call_id=str(call.id)),
        Change(organization_id=org, call_id=str(lone.id)),
        Change(organization_id=org, campaign_id=str(campaign_id), call_id=str(call.id)),
    ]
    # The very object encode() describes (no key more or less), and parse() reads it back.
    assert heard == [(CALLS_CHANNEL, json.loads(encode(change))) for change in expected]
    assert [parse(json.dumps(payload)) for _, payload in heard] == expected


def test_a_malformed_notification_is_ignored() -> None:
    assert parse("not json") is None
    assert parse('{"call_id": "x"}') is None
    assert parse('{"organization_id": null}') is None
    assert parse("[1]") is None
    assert parse(encode(Change(organization_id="o", call_id="c"))) == Change(organization_id="o", call_id="c")
