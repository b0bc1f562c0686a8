"""Organizations (tenants), their members, and pending invitations."""

from __future__ import annotations

import uuid
from datetime import datetime
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
    timestamp_field,
    updated_at_field,
)


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    AGENT = "agent"


class Organization(SQLModel, table=True):
    __tablename__ = "organizations"

    id: uuid.UUID = id_field()
    name: str = Field(max_length=200)
    # Region used to read phone numbers written without a country code.
    default_region: str = Field(default="US", max_length=2)
    time_zone: str = Field(default="America/New_York", max_length=64)
    settings: dict = jsonb_field()
    firebase_id: str | None = firebase_id_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class Membership(SQLModel, table=True):
    __tablename__ = "memberships"
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "user_id", name="uq_memberships_org_user"),
        check_in("role", Role, "ck_memberships_role"),
    )

    id: uuid.UUID = id_field()
    organization_id: uuid.UUID = organization_id_field(index=False)
    user_id: uuid.UUID = foreign_key_field("users.id", nullable=False, ondelete="CASCADE")
    role: str = Field(default=Role.OWNER, max_length=16)
    created_at: datetime = created_at_field()


class Invite(SQLModel, table=True):
    __tablename__ = "invites"
    __table_args__ = (check_in("role", Role, "ck_invites_role"),)

    id: uuid.UUID = id_field()
    organization_id: uuid.UUID = organization_id_field()
    email: str = Field(max_length=320)
    role: str = Field(default=Role.AGENT, max_length=16)
    # Only a hash is kept: the link shown to the inviter carries the token itself.
    token_hash: str = Field(max_length=128, unique=True)
    invited_by_id: uuid.UUID | None = foreign_key_field("users.id")
    expires_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    accepted_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
