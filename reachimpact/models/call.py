"""Phone calls, outbound (campaigns) and inbound, in Twilio's own status words."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from reachimpact.models.base import (
    created_at_field,
    firebase_id_field,
    foreign_key_field,
    id_field,
    organization_id_field,
    text_field,
    timestamp_field,
    updated_at_field,
)


class CallStatus(StrEnum):
    """Twilio's CallStatus values."""

    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"


FINAL_CALL_STATUSES = frozenset(
    {CallStatus.COMPLETED, CallStatus.BUSY, CallStatus.NO_ANSWER, CallStatus.FAILED, CallStatus.CANCELED}
)


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Call(SQLModel, table=True):
    __tablename__ = "calls"
    __table_args__ = (
        sa.Index("ix_calls_org_created", "organization_id", "created_at"),
        sa.Index("ix_calls_org_status", "organization_id", "status"),
    )

    id: uuid.UUID = id_field()
    organization_id: uuid.UUID = organization_id_field(index=False)
    campaign_id: uuid.UUID | None = foreign_key_field("campaigns.id")
    contact_id: uuid.UUID | None = foreign_key_field("contacts.id")
    campaign_contact_id: uuid.UUID | None = foreign_key_field("campaign_contacts.id", index=False)
    agent_id: uuid.UUID | None = foreign_key_field("users.id", index=False)
    # NULL between "attempt recorded" and "provider answered with a SID" (see the dialer).
    twilio_sid: str | None = Field(default=None, max_length=64, unique=True)
    direction: str = Field(default=Direction.OUTBOUND, max_length=8)
    from_number: str = Field(default="", max_length=20)
    to_number: str = Field(default="", max_length=20)
    status: str = Field(default=CallStatus.QUEUED, max_length=16)
    # Twilio AnsweredBy: human, machine_start, machine_end_beep, fax, unknown ...
    answered_by: str | None = Field(default=None, max_length=32)
    started_at: datetime | None = timestamp_field()
    answered_at: datetime | None = timestamp_field()
    ended_at: datetime | None = timestamp_field()
    duration_seconds: int | None = None
    recording_url: str | None = text_field()
    transcript: str | None = text_field()
    summary: str | None = text_field()
    sentiment: str | None = Field(default=None, max_length=16)  # positive | neutral | negative
    sentiment_score: float | None = None
    # What the callee chose in the Gather: talk, callback, opt_out ...
    outcome: str | None = Field(default=None, max_length=32)
    # Twilio's error code when the call failed (e.g. 21211: not a valid number).
    error_code: str | None = Field(default=None, max_length=16)
    firebase_id: str | None = firebase_id_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
