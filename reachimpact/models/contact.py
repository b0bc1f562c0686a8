"""Contacts and the organization's do-not-contact / opt-out list."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from reachimpact.models.base import (
    COMPARED_BY_HAND,
    check_in,
    created_at_field,
    firebase_id_field,
    foreign_key_field,
    id_field,
    jsonb_field,
    organization_id_field,
    text_field,
    updated_at_field,
)


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"
    # The contacts page pages by keyset and searches by prefix; each index below serves one of its
    # orderings or searches, scoped to the organization. COLLATE "C" lets one index serve both
    # `ORDER BY` and `LIKE 'prefix%'`. Reflection drops an expression's COLLATE, so Alembic cannot
    # compare these indexes (COMPARED_BY_HAND); tests/test_migrations.py checks their definitions.
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "phone", name="uq_contacts_org_phone"),
        sa.Index("ix_contacts_org_created", "organization_id", "created_at", "id"),
        sa.Index(
            "ix_contacts_org_name",
            "organization_id",
            sa.text('lower(last_name) COLLATE "C"'),
            sa.text('lower(first_name) COLLATE "C"'),
            "id",
            info=COMPARED_BY_HAND,
        ),
        sa.Index(
            "ix_contacts_org_first_name",
            "organization_id",
            sa.text('lower(first_name) COLLATE "C"'),
            info=COMPARED_BY_HAND,
        ),
        sa.Index(
            "ix_contacts_org_email",
            "organization_id",
            sa.text('lower(email) COLLATE "C"'),
            info=COMPARED_BY_HAND,
        ),
        # Searching by the last digits of a number ("…0143"). A GIN over the last 3 and 4 digits, not a
        # btree over reverse(phone): those keys repeat (10,000 values), so GIN's pending list takes an
        # import's rows in bulk, where a btree took each at a random page (~15 % of a 1M import's merge).
        # "right" is quoted as PostgreSQL prints it back (RIGHT is a keyword), for the by-hand check.
        sa.Index(
            "ix_contacts_phone_suffixes",
            sa.text('(ARRAY["right"(phone, 3), "right"(phone, 4)])'),
            postgresql_using="gin",
            info=COMPARED_BY_HAND,
        ),
        sa.Index("ix_contacts_tags", "tags", postgresql_using="gin"),
    )

    id: uuid.UUID = id_field()
    # Not indexed alone: every index above leads with it, and each extra index slows imports.
    organization_id: uuid.UUID = organization_id_field(index=False)
    first_name: str = Field(default="", max_length=200)
    last_name: str = Field(default="", max_length=200)
    # E.164; byte-wise collation so the unique index also serves prefix search and sorting.
    phone: str = Field(sa_column=sa.Column(sa.String(20, collation="C"), nullable=False))
    email: str | None = Field(default=None, max_length=320)
    tags: list[str] = Field(
        default_factory=list,
        sa_column=sa.Column(ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'::text[]")),
    )
    custom_fields: dict = jsonb_field()
    time_zone: str | None = Field(default=None, max_length=64)
    notes: str | None = text_field()
    opt_out_calls: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    opt_out_sms: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    firebase_id: str | None = firebase_id_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class OptOutChannel(StrEnum):
    ALL = "all"
    CALL = "call"
    SMS = "sms"


class OptOut(SQLModel, table=True):
    """A number the organization must not call and/or text (do-not-contact), with where it came from."""

    __tablename__ = "opt_outs"
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "phone", "channel", name="uq_opt_outs_org_phone_channel"),
        check_in("channel", OptOutChannel, "ck_opt_outs_channel"),
    )

    id: uuid.UUID = id_field()
    organization_id: uuid.UUID = organization_id_field(index=False)
    phone: str = Field(max_length=20, index=True)  # E.164
    channel: str = Field(default=OptOutChannel.ALL, max_length=8)
    # manual, import, sms_keyword (STOP), ivr (pressed 9), firebase
    source: str = Field(default="manual", max_length=32)
    reason: str | None = text_field()
    contact_id: uuid.UUID | None = foreign_key_field("contacts.id")
    created_by_id: uuid.UUID | None = foreign_key_field("users.id", index=False)
    firebase_id: str | None = firebase_id_field()
    created_at: datetime = created_at_field()
