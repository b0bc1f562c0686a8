"""Calls through the API: the list with its filters and pages, one call with its timeline, isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from reachimpact.models import Call, Contact
from reachimpact.services import dialer
from reachimpact.services.telephony.urls import GATHER_PATH, STATUS_PATH
from tests.factories import NOON_IN_NEW_YORK, auth_headers, make_contacts, make_member, new_campaign, start
from tests.fakes.telephony import RecordingProvider
from tests.fakes.twilio import signed_post

pytestmark = pytest.mark.usefixtures("public_base_url")


def test_list_filter_page_and_detail(client: TestClient, session: Session) -> None:
    member = make_member(session)
    headers = auth_headers(member)
    make_contacts(session, member.organization_id, 5, time_zone="America/New_York")
    campaign_id = new_campaign(session, member, name="Spring drive", calls_per_minute=6)
    start(session, member, campaign_id, now=NOON_IN_NEW_YORK)
    for step in range(5):  # one dial every 10 s (the pace), so their order is known
        at = NOON_IN_NEW_YORK + timedelta(seconds=10 * step)
        dialer.run_tick(campaign_id, provider=RecordingProvider(), now=at)
    calls = session.exec(select(Call).order_by(Call.created_at)).all()
    assert len(calls) == 5
    first = calls[0]
    for value in ("initiated", "ringing", "in-progress"):
        signed_post(
            client,
            f"{STATUS_PATH}?call_id={first.id}",
            {"CallSid": first.twilio_sid or "", "CallStatus": value},
        )
    signed_post(
        client, f"{GATHER_PATH}?call_id={first.id}", {"CallSid": first.twilio_sid or "", "Digits": "1"}
    )
    signed_post(
        client,
        f"{STATUS_PATH}?call_id={first.id}",
        {"CallSid": first.twilio_sid or "", "CallStatus": "completed", "CallDuration": "61"},
    )

    everything = client.get("/api/calls", headers=headers).json()
    assert len(everything["items"]) == 5 and everything["next_cursor"] is None
    assert everything["items"][-1]["id"] == str(first.id)  # newest first
    row = everything["items"][-1]
    assert (row["campaign_name"], row["contact_name"], row["status"], row["live"]) == (
        "Spring drive",
        session.get(Contact, first.contact_id).full_name,  # type: ignore[union-attr]
        "completed",
        False,
    )

    live = client.get(
        "/api/calls", params={"live": "true", "campaign_id": str(campaign_id)}, headers=headers
    ).json()
    assert len(live["items"]) == 4 and all(item["live"] for item in live["items"])
    done = client.get("/api/calls", params={"status": ["completed", "busy"]}, headers=headers).json()
    assert [item["id"] for item in done["items"]] == [str(first.id)]

    page1 = client.get("/api/calls", params={"limit": 2}, headers=headers).json()
    page2 = client.get(
        "/api/calls", params={"limit": 2, "cursor": page1["next_cursor"]}, headers=headers
    ).json()
    page3 = client.get(
        "/api/calls", params={"limit": 2, "cursor": page2["next_cursor"]}, headers=headers
    ).json()
    seen = [i["id"] for i in page1["items"] + page2["items"] + page3["items"]]
    assert seen == [i["id"] for i in everything["items"]] and page3["next_cursor"] is None
    assert client.get("/api/calls", params={"cursor": "garbage"}, headers=headers).status_code == 422

    detail = client.get(f"/api/calls/{first.id}", headers=headers).json()
    assert (detail["outcome"], detail["duration_seconds"]) == ("callback", 61)
    assert [event["label"] for event in detail["events"]] == [
        "Dialling",
        "Ringing",
        "Answered",
        "Pressed 1: asked to talk to us",
        "Call ended after 61 s",
    ]


def test_another_organizations_calls_are_not_found(client: TestClient, session: Session) -> None:
    member = make_member(session)
    stranger = auth_headers(make_member(session, org_name="Elsewhere"))
    make_contacts(session, member.organization_id, 1, time_zone="America/New_York")
    campaign_id = new_campaign(session, member)
    start(session, member, campaign_id, now=NOON_IN_NEW_YORK)
    dialer.run_tick(campaign_id, provider=RecordingProvider(), now=NOON_IN_NEW_YORK)
    call = session.exec(select(Call)).one()
    assert client.get(f"/api/calls/{call.id}", headers=stranger).status_code == 404
    assert client.get("/api/calls", headers=stranger).json()["items"] == []
    assert client.get(f"/api/calls/{call.id}", headers=auth_headers(member)).status_code == 200
