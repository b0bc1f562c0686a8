"""Campaigns: CRUD, progress, and the start / pause / resume / stop transitions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from reachimpact.api.deps import MAX_OFFSET, CurrentPrincipal, SessionDep
from reachimpact.models import CampaignStatus, CampaignType
from reachimpact.services import campaigns
from reachimpact.services.campaign_audience import MAX_CONTACTS_ADDED, AddedContacts
from reachimpact.services.campaigns import (
    CampaignDetail,
    CampaignIn,
    CampaignPage,
    CampaignProgress,
    CampaignPublic,
)

router = APIRouter(prefix="/api/campaigns", tags=["campaigns"])


class ContactIds(BaseModel):
    contact_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_CONTACTS_ADDED)


@router.get("")
def list_campaigns(
    session: SessionDep,
    principal: CurrentPrincipal,
    status: CampaignStatus | None = None,
    type: CampaignType | None = None,
    limit: int = Query(default=50, ge=1, le=200),
    offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
) -> CampaignPage:
    return campaigns.list_campaigns(session, principal, status=status, type=type, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_campaign(body: CampaignIn, session: SessionDep, principal: CurrentPrincipal) -> CampaignPublic:
    return campaigns.create_campaign(session, principal, body)


@router.get("/{campaign_id:uuid}")
def get_campaign(campaign_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> CampaignDetail:
    return campaigns.get_campaign(session, principal, campaign_id)


@router.get("/{campaign_id:uuid}/progress")
def campaign_progress(
    campaign_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> CampaignProgress:
    return campaigns.campaign_progress(session, principal, campaign_id)


@router.patch("/{campaign_id:uuid}")
def update_campaign(
    campaign_id: uuid.UUID, body: CampaignIn, session: SessionDep, principal: CurrentPrincipal
) -> CampaignPublic:
    return campaigns.update_campaign(session, principal, campaign_id, body)


@router.delete("/{campaign_id:uuid}", status_code=status.HTTP_204_NO_CONTENT)
def delete_campaign(campaign_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> Response:
    campaigns.delete_campaign(session, principal, campaign_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{campaign_id:uuid}/start")
def start_campaign(
    campaign_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> CampaignPublic:
    return campaigns.start_campaign(session, principal, campaign_id)


@router.post("/{campaign_id:uuid}/pause")
def pause_campaign(
    campaign_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> CampaignPublic:
    return campaigns.pause_campaign(session, principal, campaign_id)


@router.post("/{campaign_id:uuid}/resume")
def resume_campaign(
    campaign_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> CampaignPublic:
    return campaigns.resume_campaign(session, principal, campaign_id)


@router.post("/{campaign_id:uuid}/stop")
def stop_campaign(campaign_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> CampaignPublic:
    return campaigns.stop_campaign(session, principal, campaign_id)


@router.post("/{campaign_id:uuid}/contacts")
def add_contacts(
    campaign_id: uuid.UUID, body: ContactIds, session: SessionDep, principal: CurrentPrincipal
) -> AddedContacts:
    """Add contacts: to a draft's audience (a list of contacts), or straight into a started campaign."""
    return campaigns.add_contacts(session, principal, campaign_id, body.contact_ids)
