"""What one row of a page's list shows: strings ready to render, made from the services' summaries.

Times are shown in the organization's own time zone, so a caller in New York and a viewer anywhere
read the same clock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reachimpact.models import Direction
from reachimpact.services.auth import SessionPublic
from reachimpact.services.calls import CallPublic
from reachimpact.services.campaigns import CampaignPublic
from reachimpact.services.contacts import ContactPublic, TimelineEvent
from reachimpact.services.do_not_contact import DoNotContactEntry
from reachimpact.services.members import InvitePublic, MemberPublic
from reachimpact.services.overview import ConversationSummary, StatusCount


@dataclass
class ContactRow:
    """One contact in the contacts table."""

    id: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""
    tags: list[str] = field(default_factory=list)
    # Which channels the contact opted out of ("calls", "texts", "calls and texts"); "" for none.
    opted_out: str = ""
    # On the organization's do-not-contact list.
    do_not_contact: bool = False
    created: str = ""


@dataclass
class TimelineRow:
    kind: str = ""  # call, message, opt_out
    when: str = ""
    title: str = ""
    detail: str = ""
    status: str = ""


@dataclass
class DoNotContactRow:
    id: str = ""
    phone: str = ""
    channel: str = ""
    source: str = ""
    reason: str = ""
    added: str = ""


@dataclass
class RejectedLine:
    """A line of an uploaded file that was not taken, and why."""

    line: int = 0
    reason: str = ""


@dataclass
class CampaignRow:
    id: str = ""
    name: str = ""
    type: str = ""
    status: str = ""
    created: str = ""


@dataclass
class CallRow:
    """One call in a list: the Calls page, a campaign's page, the dashboard."""

    id: str = ""
    when: str = ""
    contact: str = ""
    # The other party: whom we called, or who called us.
    number: str = ""
    direction: str = ""
    status: str = ""
    duration: str = ""
    sentiment: str = ""
    campaign: str = ""
    live: bool = False


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


@dataclass
class SessionRow:
    """One signed-in device of the user."""

    id: str = ""
    device: str = ""
    user_agent: str = ""
    ip_address: str = ""
    last_used: str = ""
    current: bool = False


@dataclass
class MemberRow:
    id: str = ""  # the membership's id
    name: str = ""
    email: str = ""
    role: str = ""
    joined: str = ""
    is_you: bool = False


@dataclass
class InviteRow:
    id: str = ""
    email: str = ""
    role: str = ""
    expires: str = ""


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


def opted_out_of(*, calls: bool, sms: bool) -> str:
    """The channels a contact opted out of, as a reader says it; '' for none."""
    return " and ".join(name for name, out in (("calls", calls), ("texts", sms)) if out)


def contact_row(contact: ContactPublic, tz: ZoneInfo) -> ContactRow:
    return ContactRow(
        id=str(contact.id),
        name=f"{contact.first_name} {contact.last_name}".strip(),
        phone=contact.phone,
        email=contact.email or "",
        tags=contact.tags,
        opted_out=opted_out_of(calls=contact.opt_out_calls, sms=contact.opt_out_sms),
        do_not_contact=contact.do_not_contact,
        created=format_date(contact.created_at, tz),
    )


def timeline_row(event: TimelineEvent, tz: ZoneInfo) -> TimelineRow:
    return TimelineRow(
        kind=event.kind,
        when=format_moment(event.at, tz),
        title=event.title,
        detail=event.detail,
        status=event.status,
    )


def do_not_contact_row(entry: DoNotContactEntry, tz: ZoneInfo) -> DoNotContactRow:
    return DoNotContactRow(
        id=str(entry.id),
        phone=entry.phone,
        channel=entry.channel,
        source=entry.source,
        reason=entry.reason or "",
        added=format_moment(entry.created_at, tz),
    )


def campaign_row(campaign: CampaignPublic, tz: ZoneInfo) -> CampaignRow:
    return CampaignRow(
        id=str(campaign.id),
        name=campaign.name,
        type=campaign.type,
        status=campaign.status,
        created=format_date(campaign.created_at, tz),
    )


def call_row(call: CallPublic, tz: ZoneInfo) -> CallRow:
    return CallRow(
        id=str(call.id),
        when=format_moment(call.started_at or call.created_at, tz),
        contact=call.contact_name or "",
        number=call.from_number if call.direction == Direction.INBOUND else call.to_number,
        direction=call.direction,
        status=call.status,
        duration=format_duration(call.duration_seconds),
        sentiment=call.sentiment or "",
        campaign=call.campaign_name or "",
        live=call.live,
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


# Checked in order: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"))
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_device(user_agent: str) -> str:
    """'Firefox on Windows' from a user agent string; 'Unknown device' when it names neither."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    if browser is None and "Safari/" in user_agent:
        browser = "Safari"
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or ("Unknown device" if not user_agent else user_agent[:40])


def session_row(summary: SessionPublic, tz: ZoneInfo) -> SessionRow:
    return SessionRow(
        id=str(summary.id),
        device=describe_device(summary.user_agent),
        user_agent=summary.user_agent,
        ip_address=summary.ip_address or "",
        last_used=format_moment(summary.last_used_at, tz),
        current=summary.current,
    )


def member_row(member: MemberPublic, tz: ZoneInfo, *, you: uuid.UUID) -> MemberRow:
    return MemberRow(
        id=str(member.id),
        name=member.name,
        email=member.email,
        role=member.role.value,
        joined=format_date(member.joined_at, tz),
        is_you=member.user_id == you,
    )


def invite_row(invite: InvitePublic, tz: ZoneInfo) -> InviteRow:
    return InviteRow(
        id=str(invite.id),
        email=invite.email,
        role=invite.role.value,
        expires=format_moment(invite.expires_at, tz),
    )
