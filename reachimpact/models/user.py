"""Users, their sign-in sessions and the rotating refresh tokens of each session."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from reachimpact.models.base import (
    created_at_field,
    firebase_id_field,
    foreign_key_field,
    id_field,
    jsonb_field,
    timestamp_field,
    updated_at_field,
)


class User(SQLModel, table=True):
    __tablename__ = "users"
    # Emails compare case-insensitively: the unique index is on lower(email).
    __table_args__ = (sa.Index("uq_users_email_lower", sa.text("lower(email)"), unique=True),)

    id: uuid.UUID = id_field()
    email: str = Field(max_length=320)
    # "<algorithm>$<params>$..." so bcrypt and migrated Firebase scrypt hashes share the column;
    # NULL for accounts that never had a password (e.g. Firebase users who signed in with Google).
    password_hash: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    name: str = Field(default="", max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    photo_url: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    time_zone: str = Field(default="America/New_York", max_length=64)
    email_verified: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    disabled: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    last_login_at: datetime | None = timestamp_field()
    firebase_id: str | None = firebase_id_field()
    # What Firebase Auth knew that no column holds (sign-in providers, custom claims), kept so the
    # migration tools can hand the account back to Firebase unchanged (export-back).
    firebase_auth: dict = jsonb_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class UserSession(SQLModel, table=True):
    """One signed-in device; its refresh tokens form one rotation family."""

    __tablename__ = "sessions"

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = foreign_key_field("users.id", nullable=False, ondelete="CASCADE")
    organization_id: uuid.UUID | None = foreign_key_field("organizations.id", ondelete="CASCADE")
    user_agent: str = Field(default="", max_length=512)
    ip_address: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()
    last_used_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    revoked_at: datetime | None = timestamp_field()


class RefreshToken(SQLModel, table=True):
    __tablename__ = "refresh_tokens"

    id: uuid.UUID = id_field()
    session_id: uuid.UUID = foreign_key_field("sessions.id", nullable=False, ondelete="CASCADE")
    # SHA-256 of the opaque token; the token itself is only ever in the client's hands.
    token_hash: str = Field(max_length=128, unique=True)
    created_at: datetime = created_at_field()
    # Set when rotated: presenting a used token again revokes the whole session (stolen-token detection).
    used_at: datetime | None = timestamp_field()
