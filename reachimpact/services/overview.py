"""Read-only summaries the pages show: the organization, dashboard counts, and the latest rows of each kind.

Every query takes the organization explicitly; nothing here decides *which* organization a viewer may
see: the pages pass the signed-in principal's organization.
Lists are capped (`LIST_LIMIT`) because a page keeps only what it shows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from reachimpact.models import (
    Call,
    Campaign,
    CampaignStatus,
    Contact,
    Conversation,
    Message,
    Organization,
)

LIST_LIMIT = 50
RECENT_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class OrganizationProfile:
    id: uuid.UUID
    name: str
    default_region: str
    time_zone: str


@dataclass(frozen=True)
class DashboardCounts:
    contacts: int
    campaigns: int
    running_campaigns: int
    calls_recent: int
    messages_recent: int


@dataclass(frozen=True)
class ConversationSummary:
    contact_name: str
    phone: str
    last_message_preview: str
    last_message_at: datetime | None
    unread_count: int


@dataclass(frozen=True)
class StatusCount:
    status: str
    count: int


def organization_profile(session: Session, *, organization_id: uuid.UUID) -> OrganizationProfile | None:
    org = session.get(Organization, organization_id)
    if org is None:
        return None
    return OrganizationProfile(
        id=org.id, name=org.name, default_region=org.default_region, time_zone=org.time_zone
    )


def _recent_since(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)) - RECENT_WINDOW


def dashboard_counts(
    session: Session, *, organization_id: uuid.UUID, now: datetime | None = None
) -> DashboardCounts:
    """Contacts and campaigns in all, running campaigns, and calls and messages of the last 30 days."""
    since = _recent_since(now)

    def count(model: type, *conditions: sa.ColumnElement[bool]) -> int:
        statement = select(func.count()).select_from(model).where(model.organization_id == organization_id)
        return session.exec(statement.where(*conditions)).one()

    return DashboardCounts(
        contacts=count(Contact),
        campaigns=count(Campaign),
        running_campaigns=count(Campaign, col(Campaign.status) == CampaignStatus.RUNNING),
        calls_recent=count(Call, col(Call.created_at) >= since),
        messages_recent=count(Message, col(Message.created_at) >= since),
    )


def recent_conversations(
    session: Session, *, organization_id: uuid.UUID, limit: int = LIST_LIMIT
) -> list[ConversationSummary]:
    """Conversations with the latest message first (those without a message yet last)."""
    statement = (
        select(Conversation, Contact.first_name, Contact.last_name, Contact.phone)
        .join(Contact, col(Conversation.contact_id) == col(Contact.id))
        .where(Conversation.organization_id == organization_id)
        .order_by(col(Conversation.last_message_at).desc().nulls_last(), col(Conversation.id))
        .limit(min(limit, LIST_LIMIT))
    )
    return [
        ConversationSummary(
            contact_name=f"{first_name} {last_name}".strip(),
            phone=phone,
            last_message_preview=conversation.last_message_preview,
            last_message_at=conversation.last_message_at,
            unread_count=conversation.unread_count,
        )
        for conversation, first_name, last_name, phone in session.exec(statement).all()
    ]


def calls_by_status(
    session: Session, *, organization_id: uuid.UUID, now: datetime | None = None
) -> list[StatusCount]:
    """How many calls of the last 30 days ended (or stand) in each status, most frequent first."""
    statement = (
        select(Call.status, func.count())
        .where(Call.organization_id == organization_id, col(Call.created_at) >= _recent_since(now))
        .group_by(col(Call.status))
        .order_by(func.count().desc(), col(Call.status))
    )
    return [StatusCount(status=status, count=count) for status, count in session.exec(statement).all()]
