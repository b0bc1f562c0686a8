"""SMS conversations (one per contact) and their messages, in Twilio's own status words."""

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
from reachimpact.models.call import Direction


class MessageStatus(StrEnum):
    """Twilio's MessageStatus values."""

    ACCEPTED = "accepted"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    RECEIVED = "received"
    READ = "read"


class Conversation(SQLModel, table=True):
    __tablename__ = "conversations"
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "contact_id", name="uq_conversations_org_contact"),
        sa.Index("ix_conversations_org_last_message", "organization_id", "last_message_at"),
    )

    id: uuid.UUID = id_field()
    organization_id: uuid.UUID = organization_id_field(index=False)
    contact_id: uuid.UUID = foreign_key_field("contacts.id", nullable=False, ondelete="CASCADE")
    last_message_at: datetime | None = timestamp_field()
    last_message_preview: str = Field(default="", max_length=200)
    unread_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    firebase_id: str | None = firebase_id_field()
    created_at: datetime = created_at_field()


class Message(SQLModel, table=True):
    __tablename__ = "messages"
    __table_args__ = (
        sa.Index("ix_messages_conversation_created", "conversation_id", "created_at"),
        sa.Index("ix_messages_org_created", "organization_id", "created_at"),
    )

    id: uuid.UUID = id_field()
    organization_id: uuid.UUID = organization_id_field(index=False)
    conversation_id: uuid.UUID = foreign_key_field(
        "conversations.id", nullable=False, ondelete="CASCADE", index=False
    )
    contact_id: uuid.UUID | None = foreign_key_field("contacts.id")
    campaign_id: uuid.UUID | None = foreign_key_field("campaigns.id")
    sent_by_id: uuid.UUID | None = foreign_key_field("users.id", index=False)
    direction: str = Field(default=Direction.OUTBOUND, max_length=8)
    body: str = text_field("", nullable=False)
    status: str = Field(default=MessageStatus.QUEUED, max_length=16)
    twilio_sid: str | None = Field(default=None, max_length=64, unique=True)
    from_number: str = Field(default="", max_length=20)
    to_number: str = Field(default="", max_length=20)
    error_code: str | None = Field(default=None, max_length=16)
    sentiment: str | None = Field(default=None, max_length=16)
    firebase_id: str | None = firebase_id_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
