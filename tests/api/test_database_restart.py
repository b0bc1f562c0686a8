"""A database restart drops every pooled connection: the next requests still get answered and stored."""

from __future__ import annotations

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from reachimpact.models import Call
from reachimpact.services import dialer
from reachimpact.services.telephony.urls import STATUS_PATH
from tests.factories import NOON_IN_NEW_YORK, auth_headers, make_contacts, make_member, new_campaign, start
from tests.fakes.telephony import RecordingProvider
from tests.fakes.twilio import signed_post

pytestmark = pytest.mark.usefixtures("public_base_url")


def _drop_every_other_connection(cleaner: psycopg.Connection) -> int:
    """What a restart does to our pools: the server ends each of their connections (AdminShutdown)."""
    return cleaner.execute(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    ).fetchone()[0]


def test_callbacks_and_api_requests_after_a_restart_are_stored(
    client: TestClient, session: Session, _cleaner: psycopg.Connection
) -> None:
    member = make_member(session)
    make_contacts(session, member.organization_id, 1, time_zone="America/New_York")
    campaign_id = new_campaign(session, member)
    start(session, member, campaign_id, now=NOON_IN_NEW_YORK)
    dialer.run_tick(campaign_id, provider=RecordingProvider(), now=NOON_IN_NEW_YORK)
    call = session.exec(select(Call).where(Call.campaign_id == campaign_id)).one()
    session.close()

    def status(value: str) -> int:
        fields = {"CallSid": call.twilio_sid or "", "CallStatus": value, "AccountSid": "AC1"}
        return signed_post(client, f"{STATUS_PATH}?call_id={call.id}", fields).status_code

    # Both pools now hold open connections: the async one of the callbacks, the engine's of the API.
    assert status("ringing") == 204
    assert client.get(f"/api/calls/{call.id}", headers=auth_headers(member)).status_code == 200
    assert _drop_every_other_connection(_cleaner) >= 2

    assert status("in-progress") == 204
    answer = client.get(f"/api/calls/{call.id}", headers=auth_headers(member))
    assert answer.status_code == 200
    assert answer.json()["status"] == "in-progress"
