"""The do-not-contact list and opt-outs, and the one answer to "may we call/text this number now?".

A row in opt_outs with no contact is an organization-wide do-not-contact entry (added by hand or by
CSV); a row with a contact records that contact opting out (STOP, pressing 9, by hand), which also
sets the contact's own flags. The dialer and messaging ask `may_contact` and nothing else.
"""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlmodel import Session, col, select

from reachimpact.errors import Invalid, NotFound
from reachimpact.models import Contact, OptOut, OptOutChannel
from reachimpact.services.auth import Principal
from reachimpact.services.contact_import import read_layout
from reachimpact.services.members import MANAGERS, require_role
from reachimpact.services.organizations import phone_region
from reachimpact.services.phones import normalize_phone

Channel = Literal["call", "sms"]


def listing(entries: list[dict[str, Any]]) -> Insert:
    """The statement that puts numbers on the list, one entry (a dict of OptOut's columns) each. A number
    already listed for that channel keeps the entry it has: the first reason to list it stands."""
    return _keeping_listed(insert(OptOut).values(entries))


def listing_from(rows: sa.Select[Any], *, channel: OptOutChannel, source: str) -> Insert:
    """`listing` for set-based work: the numbers `rows` selects, as (organization_id, phone, reason),
    listed for `channel`. call_events compiles it into its one statement per status delivery."""
    entries = rows.add_columns(sa.func.gen_random_uuid(), sa.literal(channel.value), sa.literal(source))
    columns = ["organization_id", "phone", "reason", "id", "channel", "source"]
    return _keeping_listed(insert(OptOut).from_select(columns, entries))


def _keeping_listed(statement: Insert) -> Insert:
    return statement.on_conflict_do_nothing(constraint="uq_opt_outs_org_phone_channel")


@dataclass(frozen=True)
class Permission:
    allowed: bool
    reason: str | None = None


def may_contact(session: Session, *, organization_id: uuid.UUID, phone: str, channel: Channel) -> Permission:
    """Whether the organization may call (or text) this E.164 number now, and if not, why."""
    blocked = session.exec(
        select(OptOut.source)
        .where(
            OptOut.organization_id == organization_id,
            OptOut.phone == phone,
            col(OptOut.channel).in_([OptOutChannel.ALL, channel]),
        )
        .limit(1)
    ).first()
    if blocked is not None:
        return Permission(False, f"opted out ({blocked})")
    flag = Contact.opt_out_calls if channel == "call" else Contact.opt_out_sms
    if session.exec(
        select(Contact.id).where(Contact.organization_id == organization_id, Contact.phone == phone, flag)
    ).first():
        return Permission(False, "contact opted out")
    return Permission(True)


def calls_blocked(organization_id: uuid.UUID) -> sa.ColumnElement[bool]:
    """may_contact(channel="call") as a condition on contacts, for set-based work (freezing an audience,
    skipping who opted out since): the contact's own opt-out flag, or its number on the organization's
    list for calls or for everything."""
    listed = sa.exists().where(
        OptOut.organization_id == organization_id,
        OptOut.phone == Contact.phone,
        col(OptOut.channel).in_([OptOutChannel.ALL, OptOutChannel.CALL]),
    )
    return sa.or_(col(Contact.opt_out_calls), listed)


def check_number(
    session: Session, principal: Principal, *, phone: str, channel: Channel
) -> tuple[str, Permission]:
    """`may_contact` for a number as a person typed it, read in the organization's region."""
    e164 = normalize_phone(phone, phone_region(session, principal.organization_id))
    return e164, may_contact(session, organization_id=principal.organization_id, phone=e164, channel=channel)


class DoNotContactEntry(BaseModel):
    id: uuid.UUID
    phone: str
    channel: str
    source: str
    reason: str | None
    created_at: datetime


def add_number(
    session: Session, principal: Principal, *, phone: str, channel: str = "all", reason: str | None = None
) -> DoNotContactEntry:
    """Put a number on the list (adding it twice is harmless: the existing entry is returned)."""
    if channel not in {c.value for c in OptOutChannel}:
        raise Invalid("Channel must be all, call or sms.")
    e164 = normalize_phone(phone, phone_region(session, principal.organization_id))
    entry = {
        "id": uuid.uuid4(),
        "organization_id": principal.organization_id,
        "phone": e164,
        "channel": channel,
        "source": "manual",
        "reason": reason,
        "created_by_id": principal.user_id,
    }
    session.execute(listing([entry]))
    row = session.exec(
        select(OptOut).where(
            OptOut.organization_id == principal.organization_id,
            OptOut.phone == e164,
            OptOut.channel == channel,
        )
    ).one()
    return DoNotContactEntry.model_validate(row, from_attributes=True)


def list_numbers(
    session: Session, principal: Principal, *, q: str | None = None, limit: int = 200
) -> list[DoNotContactEntry]:
    conditions = [OptOut.organization_id == principal.organization_id]
    digits = "".join(ch for ch in q or "" if ch.isdigit())
    if digits:
        conditions.append(col(OptOut.phone).contains(digits))
    rows = session.exec(
        select(OptOut).where(*conditions).order_by(col(OptOut.created_at).desc()).limit(limit)
    )
    return [DoNotContactEntry.model_validate(r, from_attributes=True) for r in rows]


def remove_number(session: Session, principal: Principal, entry_id: uuid.UUID) -> None:
    """Take an entry off the list (owners and admins: it allows calls again)."""
    row = session.get(OptOut, entry_id)
    if row is None or row.organization_id != principal.organization_id:
        raise NotFound("do-not-contact entry")
    require_role(principal, MANAGERS, "remove numbers from the do-not-contact list")
    session.delete(row)


def opt_out_contact(
    session: Session,
    *,
    organization_id: uuid.UUID,
    contact_id: uuid.UUID,
    channel: str,
    source: str,
    reason: str | None = None,
    actor_id: uuid.UUID | None = None,
) -> None:
    """Record that a contact opted out (by STOP, by pressing 9, or by hand) and set their flags."""
    contact = session.get(Contact, contact_id, with_for_update=True)
    if contact is None or contact.organization_id != organization_id:
        raise NotFound("contact")
    if channel in (OptOutChannel.ALL, OptOutChannel.CALL):
        contact.opt_out_calls = True
    if channel in (OptOutChannel.ALL, OptOutChannel.SMS):
        contact.opt_out_sms = True
    entry = {
        "id": uuid.uuid4(),
        "organization_id": organization_id,
        "phone": contact.phone,
        "channel": channel,
        "source": source,
        "reason": reason,
        "contact_id": contact.id,
        "created_by_id": actor_id,
    }
    session.execute(listing([entry]))


class NumbersImported(BaseModel):
    added: int
    already_listed: int
    rejected: list[tuple[int, str]]


def import_numbers(session: Session, principal: Principal, path: Path) -> NumbersImported:
    """Add every number of a CSV file's phone column to the list; bad lines are reported, not fatal."""
    layout = read_layout(path)
    region = phone_region(session, principal.organization_id)
    phone_at = layout.fields.index("phone")
    numbers: dict[str, None] = {}
    rejected: list[tuple[int, str]] = []
    with path.open(encoding=layout.encoding, newline="") as f:
        reader = csv.reader(f, delimiter=layout.delimiter)
        next(reader)
        line = reader.line_num
        for row in reader:
            start, line = line + 1, reader.line_num
            if not any(value.strip() for value in row):
                continue
            try:
                if len(row) <= phone_at:
                    raise Invalid("The row has no phone cell.")
                numbers.setdefault(normalize_phone(row[phone_at], region), None)
            except Invalid as exc:
                rejected.append((start, str(exc)))
    added = 0
    listed = list(numbers)
    for batch in (listed[i : i + 5000] for i in range(0, len(listed), 5000)):
        entries = [
            {
                "id": uuid.uuid4(),
                "organization_id": principal.organization_id,
                "phone": phone,
                "channel": OptOutChannel.ALL,
                "source": "import",
                "created_by_id": principal.user_id,
            }
            for phone in batch
        ]
        added += len(session.execute(listing(entries).returning(OptOut.id)).all())
    return NumbersImported(added=added, already_listed=len(numbers) - added, rejected=rejected)
