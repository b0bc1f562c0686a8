"""An organization's own Twilio numbers: inbound calls and texts to a number belong to its organization."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from reachimpact.models.base import created_at_field, firebase_id_field, id_field, organization_id_field


class PhoneNumber(SQLModel, table=True):
    __tablename__ = "phone_numbers"

    id: uuid.UUID = id_field()
    organization_id: uuid.UUID = organization_id_field()
    number: str = Field(max_length=20, unique=True)  # E.164; unique so an inbound "To" finds one owner
    twilio_sid: str | None = Field(default=None, max_length=64, unique=True)
    friendly_name: str = Field(default="", max_length=200)
    voice_enabled: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    sms_enabled: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    firebase_id: str | None = firebase_id_field()
    created_at: datetime = created_at_field()
