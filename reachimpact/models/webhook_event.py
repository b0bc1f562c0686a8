"""Webhook deliveries already handled, so a retried Twilio callback changes nothing twice.

The rows of one call, in order, are also that call's timeline (initiated, ringing, answered, keys
pressed, recording, completed) as the call detail view shows it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from reachimpact.models.base import created_at_field, foreign_key_field, id_field, jsonb_field


class WebhookEvent(SQLModel, table=True):
    __tablename__ = "webhook_events"
    __table_args__ = (sa.Index("ix_webhook_events_call_created", "call_id", "created_at"),)

    id: uuid.UUID = id_field()
    provider: str = Field(default="twilio", max_length=16)
    # e.g. "<CallSid>:status:<CallStatus>" or "<MessageSid>:<MessageStatus>"
    event_key: str = Field(max_length=200, unique=True)
    # NULL when the delivery names no call of ours (then only its key is kept).
    organization_id: uuid.UUID | None = foreign_key_field("organizations.id", ondelete="CASCADE", index=False)
    call_id: uuid.UUID | None = foreign_key_field("calls.id", ondelete="CASCADE", index=False)
    # status, gather, recording, amd
    kind: str = Field(default="", max_length=16, sa_column_kwargs={"server_default": ""})
    # The fields of the delivery as Twilio sent them (timeline, audits).
    payload: dict = jsonb_field()
    created_at: datetime = created_at_field()
