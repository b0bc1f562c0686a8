"""Contacts of an organization: create, read, update, delete, search and page, tags in bulk, timeline.

Every function takes the acting Principal; a contact of another organization is NotFound. The
do-not-contact list and opt-outs live in services.do_not_contact, CSV import in services.contact_import.
"""

from __future__ import annotations

import base64
import io
import json
import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal
from zoneinfo import available_timezones

import phonenumbers
import sqlalchemy as sa
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from reachimpact.errors import Conflict, Invalid, NotFound
from reachimpact.models import Call, Contact, Message, OptOut
from reachimpact.services import custom_fields
from reachimpact.services.auth import Principal
from reachimpact.services.emails import normalize_email
from reachimpact.services.members import MANAGERS, require_role
from reachimpact.services.organizations import phone_region
from reachimpact.services.phones import parse_phone, time_zone_for
from reachimpact.services.spreadsheet_csv import SpreadsheetWriter

MAX_PAGE_SIZE = 200
# Counting the matches of a search scans about cap / (share of contacts matching) rows: at 1M
# contacts a 9 % name ("smi") takes 115-150 ms to reach 10,000, its whole page ~15-20 ms with a cap of
# 1,000 (bench/contacts_query.py). The API counts to FILTERED_COUNT_CAP; the contacts page, which must
# stay fast, to PAGE_COUNT_CAP ("1,000+"). Unfiltered counts stay exact (index-only).
FILTERED_COUNT_CAP = 10_000
PAGE_COUNT_CAP = 1_000
MAX_TAGS = 50
SortKey = Literal["-created_at", "created_at", "name", "-name", "phone", "-phone"]


# --- shapes at the edge -------------------------------------------------------------------------------


def clean_tags(tags: list[str]) -> list[str]:
    """Trimmed, lower-cased, without blanks or repeats, in the order given."""
    seen: dict[str, None] = {}
    for tag in tags:
        tag = tag.strip().lower()[:50]
        if tag:
            seen.setdefault(tag, None)
    if len(seen) > MAX_TAGS:
        raise Invalid(f"A contact can have at most {MAX_TAGS} tags.")
    return list(seen)


class ContactIn(BaseModel):
    """Fields a user may set; every one optional so the same shape serves create and update."""

    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=320)
    tags: list[str] | None = None
    custom_fields: dict[str, Any] | None = None
    time_zone: str | None = Field(default=None, max_length=64)
    notes: str | None = Field(default=None, max_length=10_000)
    opt_out_calls: bool | None = None
    opt_out_sms: bool | None = None

    @field_validator("custom_fields")
    @classmethod
    def _flat_values(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        try:
            return custom_fields.check_fields(value)
        except Invalid as exc:  # pydantic reports a ValueError as a validation error of this field
            raise ValueError(str(exc).rstrip(".")) from None


class ContactPublic(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    phone: str
    email: str | None
    tags: list[str]
    custom_fields: dict[str, Any]
    time_zone: str | None
    notes: str | None
    opt_out_calls: bool
    opt_out_sms: bool
    # On the organization's do-not-contact list (whatever the contact's own flags say).
    do_not_contact: bool = False
    created_at: datetime
    updated_at: datetime


class ContactPage(BaseModel):
    items: list[ContactPublic]
    total: int
    # True when a search or filter matches more than the count's cap: `total` is then that cap.
    total_capped: bool = False
    next_cursor: str | None


# --- reading ------------------------------------------------------------------------------------------


def _get(session: Session, principal: Principal, contact_id: uuid.UUID, *, lock: bool = False) -> Contact:
    contact = session.get(Contact, contact_id, with_for_update=lock)
    if contact is None or contact.organization_id != principal.organization_id:
        raise NotFound("contact")
    return contact


def _on_dnc_list(organization_id: uuid.UUID, contact: Any = Contact) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        OptOut.organization_id == organization_id,
        OptOut.phone == contact.phone,
        OptOut.contact_id.is_(None),
    )


def _public(contact: Contact, do_not_contact: bool = False) -> ContactPublic:
    return ContactPublic.model_validate({**contact.model_dump(), "do_not_contact": do_not_contact})


def get_contact(session: Session, principal: Principal, contact_id: uuid.UUID) -> ContactPublic:
    contact = _get(session, principal, contact_id)
    on_list = session.exec(select(_on_dnc_list(principal.organization_id))).one()
    return _public(contact, on_list)


_LIKE_SPECIALS = re.compile(r"([%_\\])")


def _prefix(text: str) -> str:
    return _LIKE_SPECIALS.sub(r"\\\1", text) + "%"


def _c(expr: Any) -> Any:
    # Byte-wise collation: matches the contacts indexes, so LIKE 'x%' and ORDER BY can use them.
    return expr.collate("C")


def search_condition(query: str, region: str) -> sa.ColumnElement[bool] | None:
    """Names and emails by word prefix; a number in any spelling, in full or by its leading or last digits."""
    query = query.strip()
    if not query:
        return None
    digits = re.sub(r"\D", "", query)
    if len(digits) >= 3 and not re.search(r"[^\d\s()+.\-]", query):
        # The last digits through ix_contacts_phone_suffixes (its last 3 or 4), the rest checked per row.
        suffixes = postgresql.array([func.right(Contact.phone, 3), func.right(Contact.phone, 4)])
        ends_with = suffixes.contains(sa.cast(postgresql.array([digits[-4:]]), postgresql.ARRAY(sa.Text)))
        if len(digits) > 4:
            ends_with = sa.and_(ends_with, Contact.phone.like("%" + digits))
        options = [ends_with]
        try:
            options.append(Contact.phone == parse_phone(query, region).e164)
        except Invalid:
            country = phonenumbers.country_code_for_region(region)
            options += [
                Contact.phone.like(_prefix(f"+{digits}")),
                Contact.phone.like(_prefix(f"+{country}{digits}")),
            ]
        return sa.or_(*options)
    words = query.lower().split()
    return sa.and_(
        *[
            sa.or_(
                _c(func.lower(Contact.first_name)).like(_prefix(word)),
                _c(func.lower(Contact.last_name)).like(_prefix(word)),
                _c(func.lower(Contact.email)).like(_prefix(word)),
            )
            for word in words
        ]
    )


def _sort_columns(sort: str, contact: Any = Contact) -> list[Any]:
    field = sort.lstrip("-")
    if field == "name":
        return [_c(func.lower(contact.last_name)), _c(func.lower(contact.first_name)), contact.id]
    if field == "phone":
        return [contact.phone, contact.id]
    if field == "created_at":
        return [contact.created_at, contact.id]
    raise Invalid(f"Unknown sort {sort!r}; use created_at, name or phone, with '-' for descending.")


def _cursor_values(contact: Contact, sort: str) -> list[Any]:
    field = sort.lstrip("-")
    if field == "name":
        return [contact.last_name.lower(), contact.first_name.lower(), str(contact.id)]
    if field == "phone":
        return [contact.phone, str(contact.id)]
    return [contact.created_at.isoformat(), str(contact.id)]


def _encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if sort.lstrip("-") == "created_at":
            values[0] = datetime.fromisoformat(values[0])
        values[-1] = uuid.UUID(values[-1])
        if len(values) != len(_sort_columns(sort)):
            raise ValueError
        return values
    except (ValueError, TypeError, IndexError, json.JSONDecodeError):
        raise Invalid("The page cursor is not valid; start again from the first page.") from None


def _filters(session: Session, principal: Principal, q: str | None, tag: str | None) -> list[Any]:
    conditions: list[Any] = [Contact.organization_id == principal.organization_id]
    if q:
        condition = search_condition(q, phone_region(session, principal.organization_id))
        if condition is not None:
            conditions.append(condition)
    if tag:
        conditions.append(col(Contact.tags).contains([tag.strip().lower()]))
    return conditions


def list_contacts(
    session: Session,
    principal: Principal,
    *,
    q: str | None = None,
    tag: str | None = None,
    cursor: str | None = None,
    page: int | None = None,
    page_size: int = 50,
    sort: str = "-created_at",
    count_cap: int | None = None,
) -> ContactPage:
    """One page of the organization's contacts: after `cursor` (keyset: fast at any depth, stable
    under inserts), or page number `page` (offset: for jumping; slower deep into a large list). A search
    or filter is counted up to `count_cap` matches (FILTERED_COUNT_CAP unless given)."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise Invalid(f"page_size must be between 1 and {MAX_PAGE_SIZE}.")
    columns = _sort_columns(sort)
    descending = sort.startswith("-")
    conditions = _filters(session, principal, q, tag)
    count_cap = count_cap or FILTERED_COUNT_CAP
    total_capped = False
    if q or tag:
        matches = select(Contact.id).where(*conditions).limit(count_cap + 1).subquery()
        total = session.exec(select(func.count()).select_from(matches)).one()
        total_capped = total > count_cap
        total = min(total, count_cap)
    else:
        total = session.exec(select(func.count()).select_from(Contact).where(*conditions)).one()
    page_conditions = list(conditions)
    if cursor:
        after = sa.tuple_(*columns)
        values = sa.tuple_(*[sa.literal(v) for v in _decode_cursor(cursor, sort)])
        page_conditions.append(after < values if descending else after > values)
    if (q or tag) and not total_capped:
        # At most count_cap matches: collect them as the count just did, then sort those few.
        # Left to itself the planner may walk the sort order's index filtering row by row, betting on
        # matches it cannot see are rare: 355 ms through 1M contacts for a tag nobody has. Past the
        # cap, matches are common enough (>= 0.1 %) for that walk to stop early.
        source: Any = aliased(
            Contact, select(Contact).where(*page_conditions).cte("matches").prefix_with("MATERIALIZED")
        )
        page_conditions = []
    else:
        source = Contact
    order = [c.desc() if descending else c.asc() for c in _sort_columns(sort, source)]
    statement = (
        select(source, _on_dnc_list(principal.organization_id, source).label("dnc"))
        .where(*page_conditions)
        .order_by(*order)
        .limit(page_size + 1)
    )
    if page is not None and not cursor:
        if page < 1:
            raise Invalid("page starts at 1.")
        statement = statement.offset((page - 1) * page_size)
    rows = session.exec(statement).all()
    more = len(rows) > page_size
    rows = rows[:page_size]
    next_cursor = _encode_cursor(_cursor_values(rows[-1][0], sort)) if more and rows else None
    return ContactPage(
        items=[_public(c, dnc) for c, dnc in rows],
        total=total,
        total_capped=total_capped,
        next_cursor=next_cursor,
    )


def iter_contacts(
    session: Session, principal: Principal, *, q: str | None = None, tag: str | None = None
) -> Iterator[Contact]:
    """Every contact matching the filter, streamed in batches (for export)."""
    statement = (
        select(Contact).where(*_filters(session, principal, q, tag)).order_by(Contact.created_at, Contact.id)
    )
    yield from session.exec(statement.execution_options(yield_per=2000))


# --- writing ------------------------------------------------------------------------------------------


def _apply(session: Session, contact: Contact, data: ContactIn, region: str) -> None:
    fields = data.model_dump(exclude_unset=True)
    if "phone" in fields:
        if not fields["phone"]:
            raise Invalid("Phone is required.")
        parsed = parse_phone(fields["phone"], region)
        if parsed.e164 != contact.phone:
            contact.phone = parsed.e164
            if "time_zone" not in fields:
                contact.time_zone = time_zone_for(parsed.e164)
    if fields.get("email"):
        contact.email = normalize_email(fields["email"])
    elif "email" in fields:
        contact.email = None
    if "tags" in fields:
        contact.tags = clean_tags(fields["tags"] or [])
    for name in ("first_name", "last_name"):
        if name in fields:
            setattr(contact, name, (fields[name] or "").strip())
    for name in ("custom_fields", "notes", "opt_out_calls", "opt_out_sms"):
        if name in fields and fields[name] is not None:
            setattr(contact, name, fields[name])
    if "time_zone" in fields:
        if fields["time_zone"] and fields["time_zone"] not in available_timezones():
            raise Invalid(f"Unknown time zone {fields['time_zone']!r}; use a name like America/Chicago.")
        contact.time_zone = fields["time_zone"] or None


def _save(session: Session, contact: Contact) -> None:
    # Not autoflushed: an edited contact flushed by this query would hit the unique index first.
    with session.no_autoflush:
        taken = session.exec(
            select(Contact.id).where(
                Contact.organization_id == contact.organization_id,
                Contact.phone == contact.phone,
                Contact.id != contact.id,
            )
        ).first()
    if taken:
        raise Conflict(f"Another contact already has the number {contact.phone}.")
    session.add(contact)
    session.flush()


def create_contact(session: Session, principal: Principal, data: ContactIn) -> ContactPublic:
    if not data.phone:
        raise Invalid("Phone is required.")
    contact = Contact(organization_id=principal.organization_id, phone="")
    _apply(session, contact, data, phone_region(session, principal.organization_id))
    _save(session, contact)
    return get_contact(session, principal, contact.id)


def update_contact(
    session: Session, principal: Principal, contact_id: uuid.UUID, data: ContactIn
) -> ContactPublic:
    contact = _get(session, principal, contact_id, lock=True)
    _apply(session, contact, data, phone_region(session, principal.organization_id))
    _save(session, contact)
    return get_contact(session, principal, contact.id)


def delete_contact(session: Session, principal: Principal, contact_id: uuid.UUID) -> None:
    contact = _get(session, principal, contact_id)
    require_role(principal, MANAGERS, "delete contacts")
    session.delete(contact)


def _own_ids(principal: Principal, ids: list[uuid.UUID]) -> sa.ColumnElement[bool]:
    # Ids of other organizations simply match nothing.
    return sa.and_(Contact.organization_id == principal.organization_id, col(Contact.id).in_(ids))


def bulk_add_tag(session: Session, principal: Principal, ids: list[uuid.UUID], tag: str) -> int:
    cleaned = clean_tags([tag])
    if not cleaned:
        raise Invalid("Tag cannot be empty.")
    tag = cleaned[0]
    result = session.execute(
        sa.update(Contact)
        .where(_own_ids(principal, ids), sa.not_(col(Contact.tags).contains([tag])))
        .values(tags=sa.func.array_append(Contact.tags, tag), updated_at=sa.func.now())
    )
    return result.rowcount


def bulk_remove_tag(session: Session, principal: Principal, ids: list[uuid.UUID], tag: str) -> int:
    tag = tag.strip().lower()
    result = session.execute(
        sa.update(Contact)
        .where(_own_ids(principal, ids), col(Contact.tags).contains([tag]))
        .values(tags=sa.func.array_remove(Contact.tags, tag), updated_at=sa.func.now())
    )
    return result.rowcount


def bulk_delete(session: Session, principal: Principal, ids: list[uuid.UUID]) -> int:
    require_role(principal, MANAGERS, "delete contacts")
    return session.execute(sa.delete(Contact).where(_own_ids(principal, ids))).rowcount


def all_tags(session: Session, principal: Principal) -> list[str]:
    """Every tag in use, for the filter menu."""
    tag = func.unnest(Contact.tags).label("tag")
    rows = session.exec(
        select(tag)
        .where(Contact.organization_id == principal.organization_id)
        .distinct()
        .order_by("tag")
        .limit(500)
    ).all()
    return list(rows)


# --- timeline -----------------------------------------------------------------------------------------


class TimelineEvent(BaseModel):
    kind: Literal["call", "message", "opt_out"]
    at: datetime
    title: str
    detail: str
    status: str


def timeline(
    session: Session, principal: Principal, contact_id: uuid.UUID, limit: int = 100
) -> list[TimelineEvent]:
    """Calls, messages and opt-out events of one contact, newest first."""
    contact = _get(session, principal, contact_id)
    org = principal.organization_id
    events: list[TimelineEvent] = []
    for call in session.exec(
        select(Call)
        .where(Call.organization_id == org, Call.contact_id == contact.id)
        .order_by(col(Call.created_at).desc())
        .limit(limit)
    ):
        detail = call.summary or (f"{call.duration_seconds}s" if call.duration_seconds else "")
        events.append(
            TimelineEvent(
                kind="call",
                at=call.created_at,
                title=f"{call.direction.title()} call",
                detail=detail,
                status=call.status,
            )
        )
    for message in session.exec(
        select(Message)
        .where(Message.organization_id == org, Message.contact_id == contact.id)
        .order_by(col(Message.created_at).desc())
        .limit(limit)
    ):
        events.append(
            TimelineEvent(
                kind="message",
                at=message.created_at,
                title=f"{message.direction.title()} text",
                detail=message.body,
                status=message.status,
            )
        )
    for opt_out in session.exec(
        select(OptOut)
        .where(
            OptOut.organization_id == org,
            sa.or_(OptOut.contact_id == contact.id, OptOut.phone == contact.phone),
        )
        .order_by(col(OptOut.created_at).desc())
        .limit(limit)
    ):
        events.append(
            TimelineEvent(
                kind="opt_out",
                at=opt_out.created_at,
                title=f"Opted out ({opt_out.channel})",
                detail=opt_out.reason or opt_out.source,
                status=opt_out.source,
            )
        )
    events.sort(key=lambda e: e.at, reverse=True)
    return events[:limit]


EXPORT_COLUMNS = [
    "first_name",
    "last_name",
    "phone",
    "email",
    "tags",
    "time_zone",
    "opt_out_calls",
    "opt_out_sms",
    "notes",
    "created_at",
]


def export_csv(
    session: Session, principal: Principal, *, q: str | None = None, tag: str | None = None
) -> Iterator[str]:
    """The contacts matching the filter as CSV text, a batch of lines at a time (owners and admins).

    Custom fields become columns of their own, named as in the contacts.
    """
    require_role(principal, MANAGERS, "export contacts")
    conditions = _filters(session, principal, q, tag)
    custom_keys = sorted(
        session.exec(
            select(func.jsonb_object_keys(Contact.custom_fields)).where(*conditions).distinct()
        ).all()
    )
    buffer = io.StringIO()
    writer = SpreadsheetWriter(buffer, phone_columns=[EXPORT_COLUMNS.index("phone")])
    writer.writerow([*EXPORT_COLUMNS, *custom_keys])
    for n, contact in enumerate(iter_contacts(session, principal, q=q, tag=tag), 1):
        writer.writerow(
            [
                contact.first_name,
                contact.last_name,
                contact.phone,
                contact.email or "",
                ",".join(contact.tags),
                contact.time_zone or "",
                contact.opt_out_calls,
                contact.opt_out_sms,
                contact.notes or "",
                contact.created_at.isoformat(),
                *[contact.custom_fields.get(key, "") for key in custom_keys],
            ]
        )
        if n % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
