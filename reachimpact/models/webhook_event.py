"""Webhook deliveries already handled, so a retried Twilio callback changes nothing twice."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from reachimpact.models.base import created_at_field, id_field


class WebhookEvent(SQLModel, table=True):
    __tablename__ = "webhook_events"

    id: uuid.UUID = id_field()
    provider: str = Field(default="twilio", max_length=16)
    # e.g. "<CallSid>:<CallStatus>" or "<MessageSid>:<MessageStatus>"
    event_key: str = Field(max_length=200, unique=True)
    created_at: datetime = created_at_field()
