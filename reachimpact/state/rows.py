"""What one row of a page's list shows: strings ready to render, made from the services' summaries.

Times are shown in the organization's own time zone, so a caller in New York and a viewer anywhere
read the same clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reachimpact.services.overview import (
    CallSummary,
    CampaignSummary,
    ContactSummary,
    ConversationSummary,
    StatusCount,
)


@dataclass
class ContactRow:
    name: str = ""
    phone: str = ""
    email: str = ""
    tags: list[str] = field(default_factory=list)
    opted_out: bool = False


@dataclass
class CampaignRow:
    name: str = ""
    type: str = ""
    status: str = ""
    created: str = ""


@dataclass
class CallRow:
    when: str = ""
    contact: str = ""
    number: str = ""
    direction: str = ""
    status: str = ""
    duration: str = ""
    sentiment: str = ""


@dataclass
class ConversationRow:
    contact: str = ""
    phone: str = ""
    preview: str = ""
    when: str = ""
    unread: int = 0


@dataclass
class StatusCountRow:
    status: str = ""
    calls: int = 0


def zone(name: str) -> ZoneInfo:
    """The organization's time zone; UTC when the stored name is unknown to this machine."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def format_moment(moment: datetime | None, tz: ZoneInfo, *, now: datetime | None = None) -> str:
    """'Nov 27, 14:05' this year, 'Nov 27, 2024, 14:05' before; '' for no moment."""
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    this_year = (now or datetime.now(tz)).astimezone(tz).year
    day = f"{local:%b} {local.day}" if local.year == this_year else f"{local:%b} {local.day}, {local.year}"
    return f"{day}, {local:%H:%M}"


def format_date(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%b} {local.day}, {local.year}"


def format_duration(seconds: int | None) -> str:
    """'4:05', '1:02:03'; '' when the call has no duration (not answered, or still going)."""
    if seconds is None:
        return ""
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def contact_row(summary: ContactSummary) -> ContactRow:
    return ContactRow(
        name=summary.name,
        phone=summary.phone,
        email=summary.email or "",
        tags=summary.tags,
        opted_out=summary.opted_out,
    )


def campaign_row(summary: CampaignSummary, tz: ZoneInfo) -> CampaignRow:
    return CampaignRow(
        name=summary.name,
        type=summary.type,
        status=summary.status,
        created=format_date(summary.created_at, tz),
    )


def call_row(summary: CallSummary, tz: ZoneInfo) -> CallRow:
    return CallRow(
        when=format_moment(summary.occurred_at, tz),
        contact=summary.contact_name,
        number=summary.number,
        direction=summary.direction,
        status=summary.status,
        duration=format_duration(summary.duration_seconds),
        sentiment=summary.sentiment or "",
    )


def conversation_row(summary: ConversationSummary, tz: ZoneInfo) -> ConversationRow:
    return ConversationRow(
        contact=summary.contact_name,
        phone=summary.phone,
        preview=summary.last_message_preview,
        when=format_moment(summary.last_message_at, tz),
        unread=summary.unread_count,
    )


def status_count_row(summary: StatusCount) -> StatusCountRow:
    return StatusCountRow(status=summary.status, calls=summary.count)
