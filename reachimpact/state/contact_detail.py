"""One contact's page: their fields and their timeline (calls, messages, opt-outs), newest first.

The id comes from the address (/contacts/<id>), which anyone can type: the service answers "not found"
for another organization's contact, and then nothing of it is shown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from reachimpact.errors import DomainError
from reachimpact.services import contacts
from reachimpact.services.auth import Principal
from reachimpact.services.contacts import ContactPublic
from reachimpact.state.app import AppState, signed_in_event
from reachimpact.state.forms import browser_id, user_message
from reachimpact.state.rows import TimelineRow, format_moment, opted_out_of, timeline_row


@dataclass
class CustomField:
    name: str = ""
    value: str = ""


@dataclass
class ContactDetail:
    id: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""
    tags: list[str] = field(default_factory=list)
    time_zone: str = ""
    notes: str = ""
    opted_out: str = ""
    do_not_contact: bool = False
    custom_fields: list[CustomField] = field(default_factory=list)
    created: str = ""
    updated: str = ""


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@dataclass(frozen=True)
class _Reading:
    """What the page shows of one contact, read in one transaction."""

    contact: ContactPublic
    events: list[contacts.TimelineEvent]
    tz: ZoneInfo


class ContactDetailState(AppState):
    loading: bool = True
    # Why nothing is shown ("not found"); "" when the contact is.
    problem: str = ""
    contact: ContactDetail = rx.field(default_factory=ContactDetail)
    timeline: list[TimelineRow] = rx.field(default_factory=list)

    def _reading(self, session: Session, principal: Principal) -> _Reading:
        contact_id = browser_id(self.contact_id, "contact")
        return _Reading(
            contact=contacts.get_contact(session, principal, contact_id),
            events=contacts.timeline(session, principal, contact_id),
            tz=self._organization_zone(session, principal),
        )

    def _show(self, reading: _Reading) -> None:
        contact, tz = reading.contact, reading.tz
        self.contact = ContactDetail(
            id=str(contact.id),
            name=f"{contact.first_name} {contact.last_name}".strip(),
            phone=contact.phone,
            email=contact.email or "",
            tags=contact.tags,
            time_zone=contact.time_zone or "",
            notes=contact.notes or "",
            opted_out=opted_out_of(calls=contact.opt_out_calls, sms=contact.opt_out_sms),
            do_not_contact=contact.do_not_contact,
            custom_fields=[
                CustomField(name=name, value=_shown(value))
                for name, value in sorted(contact.custom_fields.items())
            ],
            created=format_moment(contact.created_at, tz),
            updated=format_moment(contact.updated_at, tz),
        )
        self.timeline = [timeline_row(event, tz) for event in reading.events]

    @signed_in_event
    async def load(self) -> AsyncIterator[EventSpec | None]:
        # What a visit to another contact left here must not show, not even for a moment.
        self.contact = ContactDetail()
        self.timeline = []
        self.problem = ""
        self.loading = True
        yield
        try:
            reading = await self._as_user(self._reading)
        except DomainError as error:
            self.problem = user_message(error)
        else:
            self._show(reading)
        self.loading = False
