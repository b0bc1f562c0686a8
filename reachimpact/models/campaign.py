"""Call and SMS campaigns, their frozen audience, and their status history."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from reachimpact.models.base import (
    check_in,
    created_at_field,
    firebase_id_field,
    foreign_key_field,
    id_field,
    jsonb_field,
    organization_id_field,
    text_field,
    timestamp_field,
    updated_at_field,
)


class CampaignType(StrEnum):
    CALL = "call"
    SMS = "sms"


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    STOPPED = "stopped"


class MachineAction(StrEnum):
    HANG_UP = "hangup"
    LEAVE_MESSAGE = "leave_message"


def default_retry_policy() -> dict:
    """Per outcome: how long to wait before the next attempt and how many attempts in all."""
    return {
        "busy": {"delay_minutes": 30, "max_attempts": 3},
        "no-answer": {"delay_minutes": 120, "max_attempts": 3},
        "failed": {"delay_minutes": 60, "max_attempts": 2},
    }


class Campaign(SQLModel, table=True):
    __tablename__ = "campaigns"
    __table_args__ = (
        sa.Index("ix_campaigns_org_status", "organization_id", "status"),
        check_in("type", CampaignType, "ck_campaigns_type"),
        check_in("status", CampaignStatus, "ck_campaigns_status"),
        check_in("machine_action", MachineAction, "ck_campaigns_machine_action"),
    )

    id: uuid.UUID = id_field()
    organization_id: uuid.UUID = organization_id_field(index=False)
    name: str = Field(max_length=200)
    type: str = Field(default=CampaignType.CALL, max_length=8)
    status: str = Field(default=CampaignStatus.DRAFT, max_length=16)
    script: str = text_field("", nullable=False)
    # {"tags": [...], "filters": {...}} or {"contact_ids": [...]}; frozen into campaign_contacts at start.
    audience: dict = jsonb_field()
    caller_id: str | None = Field(default=None, max_length=20)
    transfer_number: str | None = Field(default=None, max_length=20)
    starts_at: datetime | None = timestamp_field()
    ends_at: datetime | None = timestamp_field()
    # Applied in each contact's own time zone.
    window_start: time = Field(default=time(9, 0), sa_column_kwargs={"server_default": "09:00"})
    window_end: time = Field(default=time(20, 0), sa_column_kwargs={"server_default": "20:00"})
    calls_per_minute: int = Field(default=10, sa_column_kwargs={"server_default": "10"})
    max_concurrent: int = Field(default=5, sa_column_kwargs={"server_default": "5"})
    retry_policy: dict = jsonb_field(default_retry_policy)
    amd_enabled: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    machine_action: str = Field(default=MachineAction.HANG_UP, max_length=16)
    record_calls: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    consent_message: str = text_field(
        "This call may be recorded for quality and training purposes.", nullable=False
    )
    created_by_id: uuid.UUID | None = foreign_key_field("users.id", index=False)
    firebase_id: str | None = firebase_id_field()
    started_at: datetime | None = timestamp_field()
    completed_at: datetime | None = timestamp_field()
    # The dialer's pace (GCRA): the moment the next dial is due if the campaign kept exactly its
    # calls_per_minute; a tick may run ahead of it by a small burst allowance, never more.
    next_dial_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class CampaignStatusChange(SQLModel, table=True):
    """Who moved a campaign from one status to another, and when."""

    __tablename__ = "campaign_status_changes"

    id: uuid.UUID = id_field()
    organization_id: uuid.UUID = organization_id_field()
    campaign_id: uuid.UUID = foreign_key_field("campaigns.id", nullable=False, ondelete="CASCADE")
    from_status: str = Field(max_length=16)
    to_status: str = Field(max_length=16)
    actor_id: uuid.UUID | None = foreign_key_field("users.id", index=False)
    created_at: datetime = created_at_field()


class CampaignContactStatus(StrEnum):
    PENDING = "pending"
    DIALING = "dialing"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


class CampaignContact(SQLModel, table=True):
    __tablename__ = "campaign_contacts"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "contact_id", name="uq_campaign_contacts_campaign_contact"),
        # The dialer's claim query: next due pending contacts of one campaign.
        sa.Index("ix_campaign_contacts_due", "campaign_id", "status", "next_attempt_at"),
        check_in("status", CampaignContactStatus, "ck_campaign_contacts_status"),
    )

    id: uuid.UUID = id_field()
    organization_id: uuid.UUID = organization_id_field()
    campaign_id: uuid.UUID = foreign_key_field(
        "campaigns.id", nullable=False, ondelete="CASCADE", index=False
    )
    contact_id: uuid.UUID = foreign_key_field("contacts.id", nullable=False, ondelete="CASCADE")
    status: str = Field(default=CampaignContactStatus.PENDING, max_length=16)
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_outcome: str | None = Field(default=None, max_length=32)
    last_attempt_at: datetime | None = timestamp_field()
    next_attempt_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
