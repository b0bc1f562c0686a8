"""The do-not-contact page: the organization's list of numbers never to call or text.

Adding is open to every member (refusing a call is always safe); taking a number off the list allows
calls again, and the service keeps that to owners and admins.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from reachimpact.db import session_scope
from reachimpact.errors import DomainError, Invalid
from reachimpact.models import OptOutChannel
from reachimpact.services import do_not_contact
from reachimpact.services.auth import Principal
from reachimpact.services.members import MANAGERS
from reachimpact.state.app import AppState
from reachimpact.state.messages import browser_id, form_text, user_message
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

    def _list(self, session: Session, principal: Principal) -> None:
        tz = self._organization_zone(session, principal)
        found = do_not_contact.list_numbers(session, principal, q=self.query or None, limit=LIST_LIMIT + 1)
        self.entries = [do_not_contact_row(entry, tz) for entry in found[:LIST_LIMIT]]
        self.more_than_shown = len(found) > LIST_LIMIT
        self.can_manage = principal.role in MANAGERS

    def _reload(self, principal: Principal) -> None:
        with session_scope() as session:
            self._list(session, principal)

    @rx.event
    def load(self) -> EventSpec | None:
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        self.add_error = self.import_error = ""
        self._reload(principal)
        self.loading = False
        return None

    @rx.event
    def search(self, value: str) -> EventSpec | None:
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        self.query = value.strip()[:64] if isinstance(value, str) else ""
        self._reload(principal)
        return None

    @rx.event
    def add(self, form: dict[str, Any]) -> Iterator[EventSpec | None]:
        principal = self._principal()
        if principal is None:
            yield self._sign_in_redirect()
            return
        self.add_error = ""
        self.adding = True
        yield
        try:
            with session_scope() as session:
                entry = do_not_contact.add_number(
                    session,
                    principal,
                    phone=form_text(form, "phone"),
                    channel=_channel(form_text(form, "channel") or OptOutChannel.ALL.value),
                    reason=form_text(form, "reason").strip()[:500] or None,
                )
        except DomainError as error:
            self.add_error = user_message(error)
            return
        finally:
            self.adding = False
        self._reload(principal)
        yield rx.toast.success(f"{entry.phone} will not be contacted ({CHANNELS[entry.channel]}).")
        yield rx.set_value("field-phone", "")

    @rx.event
    def remove(self, entry_id: str) -> EventSpec:
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        try:
            with session_scope() as session:
                do_not_contact.remove_number(session, principal, browser_id(entry_id, "do-not-contact entry"))
        except DomainError as error:
            return rx.toast.error(user_message(error))
        self._reload(principal)
        return rx.toast.success("Number taken off the list.")

    @rx.event
    async def import_numbers(self, files: list[rx.UploadFile]) -> AsyncIterator[EventSpec | None]:
        principal = self._principal()
        if principal is None:
            yield self._sign_in_redirect()
            return
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

                def add_all() -> do_not_contact.NumbersImported:
                    with session_scope() as session:
                        return do_not_contact.import_numbers(session, principal, path)

                # Parsing every number takes a while for a large file: off the event loop.
                outcome = await rx.run_in_thread(add_all)
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
        self._reload(principal)
        yield rx.clear_selected_files(UPLOAD_ID)
