"""The do-not-contact page: the organization's list of numbers never to call or text.

Adding is open to every member (refusing a call is always safe); taking a number off the list allows
calls again, and the service keeps that to owners and admins.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from reachimpact.errors import DomainError, Invalid
from reachimpact.models import OptOutChannel
from reachimpact.services import do_not_contact
from reachimpact.services.auth import Principal
from reachimpact.services.members import MANAGERS
from reachimpact.state.app import AppState, signed_in_event
from reachimpact.state.forms import browser_id, form_text, user_message
from reachimpact.state.rows import DoNotContactRow, RejectedLine, do_not_contact_row

UPLOAD_ID = "do-not-contact-csv"
LIST_LIMIT = 200
# Rejected lines listed on the page; the count says how many there were in all.
REJECTED_SHOWN = 50
UPLOAD_PIECE_BYTES = 1 << 20
CHANNELS = {"all": "calls and texts", "call": "calls", "sms": "texts"}


def _channel(value: str) -> str:
    if value not in {c.value for c in OptOutChannel}:
        raise Invalid("Channel must be all, call or sms.")
    return value


def _numbers(n: int, what: str = "number") -> str:
    return f"{n:,} {what}" if n == 1 else f"{n:,} {what}s"


@dataclass(frozen=True)
class _Listing:
    """The entries the list shows (one more than it shows, to tell that there are more), read in one
    transaction."""

    found: list[do_not_contact.DoNotContactEntry]
    tz: ZoneInfo
    can_manage: bool


class DoNotContactState(AppState):
    loading: bool = True
    entries: list[DoNotContactRow] = rx.field(default_factory=list)
    query: str = ""
    # The list shows the most recent LIST_LIMIT entries; a search finds the others.
    more_than_shown: bool = False
    can_manage: bool = False

    add_error: str = ""
    adding: bool = False

    importing: bool = False
    import_error: str = ""
    import_summary: str = ""
    rejected_lines: list[RejectedLine] = rx.field(default_factory=list)
    rejected_total: int = 0

    def _listing(self, session: Session, principal: Principal) -> _Listing:
        return _Listing(
            tz=self._organization_zone(session, principal),
            found=do_not_contact.list_numbers(session, principal, q=self.query or None, limit=LIST_LIMIT + 1),
            can_manage=principal.role in MANAGERS,
        )

    async def _reload(self) -> None:
        listing = await self._as_user(self._listing)
        self.entries = [do_not_contact_row(entry, listing.tz) for entry in listing.found[:LIST_LIMIT]]
        self.more_than_shown = len(listing.found) > LIST_LIMIT
        self.can_manage = listing.can_manage

    @signed_in_event
    async def load(self) -> None:
        self.add_error = self.import_error = ""
        await self._reload()
        self.loading = False

    @signed_in_event
    async def search(self, value: str) -> None:
        self.query = value.strip()[:64] if isinstance(value, str) else ""
        await self._reload()

    @signed_in_event
    async def add(self, form: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        self.add_error = ""
        self.adding = True
        yield
        try:
            entry = await self._as_user(
                lambda session, principal: do_not_contact.add_number(
                    session,
                    principal,
                    phone=form_text(form, "phone"),
                    channel=_channel(form_text(form, "channel") or OptOutChannel.ALL.value),
                    reason=form_text(form, "reason").strip()[:500] or None,
                )
            )
        except DomainError as error:
            self.add_error = user_message(error)
            return
        finally:
            self.adding = False
        await self._reload()
        yield rx.toast.success(f"{entry.phone} will not be contacted ({CHANNELS[entry.channel]}).")
        yield rx.set_value("field-phone", "")

    @signed_in_event
    async def remove(self, entry_id: str) -> EventSpec:
        await self._as_user(
            lambda session, principal: do_not_contact.remove_number(
                session, principal, browser_id(entry_id, "do-not-contact entry")
            )
        )
        await self._reload()
        return rx.toast.success("Number taken off the list.")

    @signed_in_event
    async def import_numbers(self, files: list[rx.UploadFile]) -> AsyncIterator[EventSpec | None]:
        self.import_error = self.import_summary = ""
        self.rejected_lines, self.rejected_total = [], 0
        if not files:
            self.import_error = "Choose a CSV file first."
            return
        self.importing = True
        yield
        try:
            with tempfile.TemporaryDirectory(prefix="reachimpact-upload-") as folder:
                path = Path(folder) / "numbers.csv"
                with path.open("wb") as out:
                    while piece := await files[0].read(UPLOAD_PIECE_BYTES):
                        out.write(piece)
                # Parsing every number takes a while for a large file: _as_user runs it off the event loop.
                outcome = await self._as_user(
                    lambda session, principal: do_not_contact.import_numbers(session, principal, path)
                )
        except DomainError as error:
            self.import_error = user_message(error)
            return
        finally:
            self.importing = False
        self.import_summary = (
            f"Added {_numbers(outcome.added)}; {_numbers(outcome.already_listed)} already listed; "
            f"{_numbers(len(outcome.rejected), 'line')} rejected."
        )
        self.rejected_total = len(outcome.rejected)
        self.rejected_lines = [
            RejectedLine(line=line, reason=reason) for line, reason in outcome.rejected[:REJECTED_SHOWN]
        ]
        await self._reload()
        yield rx.clear_selected_files(UPLOAD_ID)
