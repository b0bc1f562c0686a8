"""Column helpers shared by every table: UUID keys, UTC timestamps, organization ownership.

Each helper returns a fresh Column because a Column object can belong to one table only.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

# Index.info marking an index Alembic cannot compare (reflection drops an expression's COLLATE);
# schema_filters skips it and tests/test_migrations.py checks its definition instead.
COMPARED_BY_HAND = {"compared_by_hand": True}


def utcnow() -> datetime:
    return datetime.now(UTC)


def id_field() -> Any:
    return Field(
        default_factory=uuid.uuid4,
        sa_column=sa.Column(sa.Uuid, primary_key=True, server_default=sa.text("gen_random_uuid()")),
    )


def created_at_field() -> Any:
    return Field(
        default_factory=utcnow,
        sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def updated_at_field() -> Any:
    return Field(
        default_factory=utcnow,
        sa_column=sa.Column(
            sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now(), onupdate=utcnow
        ),
    )


def timestamp_field(*, index: bool = False) -> Any:
    """An optional timezone-aware moment (NULL until it happens)."""
    return Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True, index=index))


def organization_id_field(*, index: bool = True) -> Any:
    """The owning organization: every business row carries one, and goes with it.

    `index=False` where the table's composite indexes all lead with organization_id already.
    """
    return Field(
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=index
        )
    )


def foreign_key_field(
    target: str, *, nullable: bool = True, ondelete: str = "SET NULL", index: bool = True
) -> Any:
    return Field(
        default=None,
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index
        ),
    )


def firebase_id_field() -> Any:
    """The document/user id this row came from in the old Firebase deployment, if any."""
    return Field(default=None, sa_column=sa.Column(sa.String(128), unique=True, nullable=True))


def jsonb_field(default_factory: Any = dict) -> Any:
    return Field(
        default_factory=default_factory,
        sa_column=sa.Column(JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )


def text_field(default: str | None = None, *, nullable: bool = True) -> Any:
    return Field(default=default, sa_column=sa.Column(sa.Text, nullable=nullable))


def check_in(column: str, values: type[StrEnum], name: str) -> sa.CheckConstraint:
    """A CHECK that keeps a text column inside an enum's values."""
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=name)
