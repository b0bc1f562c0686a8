"""Reading calls: the list with filters (newest first, paged by keyset) and one call with its timeline.

The Calls page and each campaign's page read these, again whenever a live change names a call of their
organization (services.live_changes).
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, col, select

from reachimpact.errors import Invalid, NotFound
from reachimpact.models import FINAL_CALL_STATUSES, Call, CallStatus, Campaign, Contact, WebhookEvent
from reachimpact.services.auth import Principal

MAX_PAGE_SIZE = 200


class CallPublic(BaseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID | None
    campaign_name: str | None
    contact_id: uuid.UUID | None
    contact_name: str | None
    direction: str
    from_number: str
    to_number: str
    status: CallStatus
    live: bool  # not in a final status yet
    answered_by: str | None
    outcome: str | None
    error_code: str | None
    duration_seconds: int | None
    recording_url: str | None
    sentiment: str | None  # positive | neutral | negative, once the call was analysed
    created_at: datetime
    started_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None


class CallEventPublic(BaseModel):
    at: datetime
    kind: str  # status, voice, gather, recording, amd
    label: str  # what happened, in words
    fields: dict[str, Any]


class CallDetail(CallPublic):
    transcript: str | None
    summary: str | None
    sentiment_score: float | None
    events: list[CallEventPublic]


class CallPage(BaseModel):
    items: list[CallPublic]
    next_cursor: str | None


def _public(call: Call, contact: Contact | None, campaign_name: str | None) -> dict[str, Any]:
    return {
        **call.model_dump(),
        "campaign_name": campaign_name,
        "contact_name": (contact.full_name or contact.phone) if contact else None,
        "live": call.status not in FINAL_CALL_STATUSES,
    }


def _encode(call: Call) -> str:
    raw = json.dumps([call.created_at.isoformat(), str(call.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        created, ident = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(created), uuid.UUID(ident)
    except (ValueError, TypeError):
        raise Invalid("The cursor is not one this API gave out.") from None


def list_calls(
    session: Session,
    principal: Principal,
    *,
    campaign_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    statuses: list[CallStatus] | None = None,
    live: bool | None = None,
    direction: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> CallPage:
    """The organization's calls, newest first; `live=True` for calls under way only."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise Invalid(f"limit must be between 1 and {MAX_PAGE_SIZE}.")
    conditions: list[Any] = [Call.organization_id == principal.organization_id]
    if campaign_id is not None:
        conditions.append(Call.campaign_id == campaign_id)
    if contact_id is not None:
        conditions.append(Call.contact_id == contact_id)
    if statuses:
        conditions.append(col(Call.status).in_([s.value for s in statuses]))
    final = [s.value for s in FINAL_CALL_STATUSES]
    if live is True:
        conditions.append(col(Call.status).not_in(final))
    elif live is False:
        conditions.append(col(Call.status).in_(final))
    if direction is not None:
        conditions.append(Call.direction == direction)
    if cursor:
        created, ident = _decode(cursor)
        conditions.append(sa.tuple_(Call.created_at, Call.id) < sa.tuple_(created, ident))
    rows = session.exec(
        select(Call, Contact, Campaign.name)
        .join(Contact, col(Contact.id) == Call.contact_id, isouter=True)
        .join(Campaign, col(Campaign.id) == Call.campaign_id, isouter=True)
        .where(*conditions)
        .order_by(col(Call.created_at).desc(), col(Call.id).desc())
        .limit(limit + 1)
    ).all()
    items = [CallPublic.model_validate(_public(call, contact, name)) for call, contact, name in rows[:limit]]
    return CallPage(items=items, next_cursor=_encode(rows[limit - 1][0]) if len(rows) > limit else None)


_STATUS_WORDS = {
    "queued": "Queued",
    "initiated": "Dialling",
    "ringing": "Ringing",
    "in-progress": "Answered",
    "completed": "Call ended",
    "busy": "Line busy",
    "no-answer": "No answer",
    "failed": "Call failed",
    "canceled": "Call canceled",
}


def _label(event: WebhookEvent) -> str:
    fields = event.payload or {}
    if event.kind == "status":
        words = _STATUS_WORDS.get(fields.get("CallStatus", ""), fields.get("CallStatus", "Status"))
        if fields.get("CallStatus") == "completed" and fields.get("CallDuration"):
            words += f" after {fields['CallDuration']} s"
        if fields.get("ErrorCode"):
            words += f" (error {fields['ErrorCode']})"
        return words
    if event.kind == "voice":
        return "Script played"
    if event.kind == "gather":
        pressed = fields.get("Digits", "")
        meaning = {"1": "asked to talk to us", "9": "asked not to be called again"}.get(pressed, "")
        return f"Pressed {pressed}" + (f": {meaning}" if meaning else "")
    if event.kind == "amd":
        return f"Answered by {fields.get('AnsweredBy', 'unknown').replace('_', ' ')}"
    if event.kind == "recording":
        return "Recording ready"
    return event.kind


def get_call(session: Session, principal: Principal, call_id: uuid.UUID) -> CallDetail:
    """One call of the organization with the timeline of everything Twilio reported about it."""
    call = session.get(Call, call_id)
    if call is None or call.organization_id != principal.organization_id:
        raise NotFound("call")
    contact = session.get(Contact, call.contact_id) if call.contact_id else None
    campaign = session.get(Campaign, call.campaign_id) if call.campaign_id else None
    events = session.exec(
        select(WebhookEvent)
        .where(WebhookEvent.call_id == call.id)
        .order_by(col(WebhookEvent.created_at), col(WebhookEvent.id))
    ).all()
    return CallDetail.model_validate(
        {
            **_public(call, contact, campaign.name if campaign else None),
            "events": [
                CallEventPublic(at=e.created_at, kind=e.kind, label=_label(e), fields=e.payload or {})
                for e in events
            ],
        }
    )
