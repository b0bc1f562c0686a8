"""Arranging campaigns for the dialer tests, and talking to our webhooks the way Twilio does."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from reachimpact.models import Contact
from reachimpact.services import campaigns
from reachimpact.services.auth import Principal
from reachimpact.services.campaigns import CampaignIn
from reachimpact.services.telephony import CallReport, OutboundCall, TelephonyError, signatures
from reachimpact.services.telephony.urls import public_url

# Tasks of ours whose jobs a test may leave queued; the next test's worker must not run them.
DIALER_TASKS = ("dialer.tick", "telephony.simulate_call", "telephony.machine_answered")


def forget_dialer_jobs(conn: psycopg.Connection) -> None:
    conn.execute("DELETE FROM procrastinate_jobs WHERE task_name = ANY(%s)", [list(DIALER_TASKS)])


def make_contacts(
    session: Session,
    organization_id: uuid.UUID,
    count: int,
    *,
    time_zone: str | None = None,
    tags: list[str] | None = None,
    first: int = 0,
    area: str = "202",
) -> list[Contact]:
    contacts = [
        Contact(
            organization_id=organization_id,
            first_name=f"Person{first + i}",
            last_name="Test",
            phone=f"+1{area}555{first + i:04d}",
            time_zone=time_zone,
            tags=tags or [],
        )
        for i in range(count)
    ]
    session.add_all(contacts)
    session.commit()
    return contacts


def new_campaign(session: Session, principal: Principal, **fields: Any) -> uuid.UUID:
    """A draft campaign made through the service (so its fields are validated like a user's)."""
    data = CampaignIn.model_validate({"name": "Test campaign", **fields})
    created = campaigns.create_campaign(session, principal, data)
    session.commit()
    return created.id


def start(
    session: Session, principal: Principal, campaign_id: uuid.UUID, *, now: datetime | None = None
) -> None:
    campaigns.start_campaign(session, principal, campaign_id, now=now)
    session.commit()


def signed_post(
    client: TestClient, path_and_query: str, fields: dict[str, str], *, signature: str | None = None
) -> Response:
    """POST form fields the way Twilio does: signed for PUBLIC_BASE_URL + path (+ query)."""
    if signature is None:
        signature = signatures.sign(public_url(path_and_query), list(fields.items()))
    return client.post(path_and_query, data=fields, headers={signatures.SIGNATURE_HEADER: signature})


@dataclass
class RecordingProvider:
    """A telephony provider at the edge of our system that only takes note: what was asked of it, in
    order, with SIDs it makes up. `refuse` maps a number to the Twilio error code to answer."""

    refuse: dict[str, str] = field(default_factory=dict)
    placed: list[OutboundCall] = field(default_factory=list)
    sids: dict[uuid.UUID, str] = field(default_factory=dict)
    hung_up: list[str] = field(default_factory=list)
    # SID → what call_report answers (a SID not here: the provider knows no such call).
    reports: dict[str, CallReport] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    name: str = "recording"

    def place_call(self, call: OutboundCall) -> str:
        if call.to in self.refuse:
            raise TelephonyError("refused", self.refuse[call.to])
        with self.lock:
            self.placed.append(call)
            sid = self.sids[call.call_id] = "CA" + uuid.uuid4().hex
        return sid

    def find_call(self, call: OutboundCall, *, recorded_at: datetime) -> str | None:
        return self.sids.get(call.call_id)

    def call_report(self, sid: str) -> CallReport | None:
        self.asked.append(sid)
        return self.reports.get(sid)

    def hang_up(self, sid: str) -> None:
        self.hung_up.append(sid)

    def play_and_hang_up(self, sid: str, twiml: str) -> None:
        self.hung_up.append(sid)

    def numbers(self) -> list[str]:
        return [c.to for c in self.placed]
