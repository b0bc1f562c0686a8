"""Who a campaign calls: its audience (tags, a search, or a list of contacts), frozen into
campaign_contacts when the campaign starts, and contacts added to a campaign later.

A contact in campaign_contacts is one the campaign dials (pending, dialing, done, failed) or keeps as
skipped because they may not be called, so a campaign's numbers always add up to its audience.
services.campaigns owns the campaign itself (its settings, its state machine, who may change it) and
calls in here, with the campaign already looked up and locked.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, func, select

from reachimpact.errors import Conflict, Invalid
from reachimpact.jobs.ticks import schedule_tick
from reachimpact.models import (
    Campaign,
    CampaignContact,
    CampaignContactStatus,
    CampaignStatus,
    CampaignType,
    Contact,
)
from reachimpact.services.auth import Principal
from reachimpact.services.contacts import clean_tags, search_condition
from reachimpact.services.do_not_contact import calls_blocked
from reachimpact.services.organizations import phone_region

MAX_LISTED_CONTACTS = 100_000  # in an audience given as a list of contacts
# Statuses in which a campaign still takes contacts: a draft into its audience, a started one into the
# contacts it dials.
ACCEPTING_CONTACTS = (CampaignStatus.DRAFT, CampaignStatus.RUNNING, CampaignStatus.PAUSED)
MAX_CONTACTS_ADDED = 10_000  # per request


class Audience(BaseModel):
    """Who a campaign calls: contacts with any of `tags`, none of `exclude_tags`, matching `q` (the
    contacts search) — or exactly `contact_ids`. Empty means every contact of the organization."""

    tags: list[str] = Field(default_factory=list, max_length=50)
    exclude_tags: list[str] = Field(default_factory=list, max_length=50)
    q: str | None = Field(default=None, max_length=200)
    contact_ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_LISTED_CONTACTS)

    @field_validator("tags", "exclude_tags")
    @classmethod
    def _clean(cls, value: list[str]) -> list[str]:
        return clean_tags(value)


def audience_condition(
    session: Session, organization_id: uuid.UUID, audience: Audience
) -> sa.ColumnElement[bool]:
    """The contacts of an organization an audience names, as one SQL condition on contacts."""
    conditions: list[sa.ColumnElement[bool]] = [Contact.organization_id == organization_id]
    if audience.contact_ids is not None:
        conditions.append(col(Contact.id).in_(audience.contact_ids))
    if audience.tags:
        conditions.append(col(Contact.tags).overlap(audience.tags))
    if audience.exclude_tags:
        conditions.append(sa.not_(col(Contact.tags).overlap(audience.exclude_tags)))
    if audience.q:
        found = search_condition(audience.q, phone_region(session, organization_id))
        if found is not None:
            conditions.append(found)
    return sa.and_(*conditions)


def _enroll(session: Session, campaign: Campaign, chosen: sa.ColumnElement[bool], now: datetime) -> int:
    """Put the contacts `chosen` (a condition on contacts, within the campaign's organization) into
    campaign_contacts; numbers not to be called are kept as skipped, so the campaign's numbers add up
    to its audience. Contacts already in are left as they are. Returns how many were put in."""
    blocked = calls_blocked(campaign.organization_id)
    rows = select(
        sa.func.gen_random_uuid(),
        sa.literal(campaign.organization_id),
        sa.literal(campaign.id),
        Contact.id,
        sa.case((blocked, CampaignContactStatus.SKIPPED.value), else_=CampaignContactStatus.PENDING.value),
        sa.case((blocked, "do_not_contact"), else_=None),
        sa.literal(now),
        sa.literal(now),
    ).where(chosen)
    statement = (
        insert(CampaignContact)
        .from_select(
            [
                "id",
                "organization_id",
                "campaign_id",
                "contact_id",
                "status",
                "last_outcome",
                "created_at",
                "updated_at",
            ],
            rows,
        )
        .on_conflict_do_nothing(constraint="uq_campaign_contacts_campaign_contact")
        .returning(CampaignContact.id)
        .cte("enrolled")
    )
    return session.execute(select(func.count()).select_from(statement)).scalar_one()


def freeze_audience(session: Session, campaign: Campaign, now: datetime) -> int:
    """Copy a starting campaign's audience into campaign_contacts (see _enroll); how many that was."""
    audience = Audience.model_validate(campaign.audience or {})
    return _enroll(session, campaign, audience_condition(session, campaign.organization_id, audience), now)


class CampaignChoice(BaseModel):
    """A campaign offered as a destination for contacts."""

    id: uuid.UUID
    name: str
    status: CampaignStatus


class AddedContacts(BaseModel):
    """What adding contacts to a campaign came to."""

    added: int  # now in the campaign
    already_in: int  # were in it before
    not_found: int  # no contact of the organization has that id (deleted, or another organization's)


def campaigns_accepting_contacts(session: Session, principal: Principal) -> list[CampaignChoice]:
    """The organization's call campaigns that contacts can still be added to, newest first."""
    rows = session.exec(
        select(Campaign.id, Campaign.name, Campaign.status)
        .where(
            Campaign.organization_id == principal.organization_id,
            Campaign.type == CampaignType.CALL,
            col(Campaign.status).in_(ACCEPTING_CONTACTS),
        )
        .order_by(col(Campaign.created_at).desc(), col(Campaign.id).desc())
        .limit(200)  # a menu to choose from, not a list to page through
    ).all()
    return [
        CampaignChoice(id=campaign_id, name=name, status=CampaignStatus(status))
        for campaign_id, name, status in rows
    ]


def add_to_campaign(
    session: Session, campaign: Campaign, contact_ids: list[uuid.UUID], now: datetime
) -> AddedContacts:
    """Add contacts of the (locked) campaign's organization to it, as campaigns.add_contacts promises."""
    if campaign.type != CampaignType.CALL:
        raise Invalid("Only call campaigns take contacts for now.")
    if campaign.status not in ACCEPTING_CONTACTS:
        raise Conflict(f"A {campaign.status} campaign takes no more contacts.")
    wanted = list(dict.fromkeys(contact_ids))  # once each, in the order given
    own = set(
        session.exec(
            select(Contact.id).where(
                Contact.organization_id == campaign.organization_id, col(Contact.id).in_(wanted)
            )
        ).all()
    )
    found = [contact_id for contact_id in wanted if contact_id in own]
    if campaign.status == CampaignStatus.DRAFT:
        added = _add_to_audience(campaign, found, now)
    elif found:
        added = _enroll(
            session,
            campaign,
            sa.and_(Contact.organization_id == campaign.organization_id, col(Contact.id).in_(found)),
            now,
        )
        if added and campaign.status == CampaignStatus.RUNNING:
            schedule_tick(session, campaign.id)
    else:
        added = 0
    session.flush()
    return AddedContacts(added=added, already_in=len(found) - added, not_found=len(wanted) - len(found))


def _add_to_audience(campaign: Campaign, contact_ids: list[uuid.UUID], now: datetime) -> int:
    """Extend a draft's explicit list of contacts with those not in it yet; how many that was."""
    audience = Audience.model_validate(campaign.audience or {})
    if audience.tags or audience.exclude_tags or audience.q:
        chosen_by = "tags" if audience.tags or audience.exclude_tags else "a search"
        raise Conflict(
            f"The audience of '{campaign.name}' is chosen by {chosen_by}, not a list of contacts: "
            "give these contacts one of its tags instead, or change the campaign's audience."
        )
    listed = audience.contact_ids or []
    known = set(listed)
    new = [contact_id for contact_id in contact_ids if contact_id not in known]
    if not new:
        return 0
    if len(listed) + len(new) > MAX_LISTED_CONTACTS:
        raise Invalid(
            f"A campaign's list holds at most {MAX_LISTED_CONTACTS:,} contacts; choose them by tags instead."
        )
    audience.contact_ids = [*listed, *new]
    campaign.audience = audience.model_dump(mode="json", exclude_defaults=True)
    campaign.updated_at = now
    return len(new)
