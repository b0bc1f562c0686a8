"""Calls: the list with filters, and one call with its timeline."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Query

from reachimpact.api.deps import CurrentPrincipal, SessionDep
from reachimpact.models import CallStatus
from reachimpact.services import calls
from reachimpact.services.calls import CallDetail, CallPage

router = APIRouter(prefix="/api/calls", tags=["calls"])


@router.get("")
def list_calls(
    session: SessionDep,
    principal: CurrentPrincipal,
    campaign_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    status: list[CallStatus] | None = Query(default=None),
    live: bool | None = Query(default=None, description="true: calls under way; false: finished calls"),
    direction: Literal["inbound", "outbound"] | None = None,
    cursor: str | None = Query(default=None, max_length=500),
    limit: int = Query(default=50, ge=1, le=calls.MAX_PAGE_SIZE),
) -> CallPage:
    return calls.list_calls(
        session,
        principal,
        campaign_id=campaign_id,
        contact_id=contact_id,
        statuses=status,
        live=live,
        direction=direction,
        cursor=cursor,
        limit=limit,
    )


@router.get("/{call_id:uuid}")
def get_call(call_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> CallDetail:
    return calls.get_call(session, principal, call_id)
