"""The contacts page's create/edit dialog: what its fields start with, what they send, and saving.

A sub-state of the contacts page, like ContactImportState: a save shows the table afresh in the same
event (through ContactsState), so the dialog closes, the row appears and the toast says so together.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from reachimpact.errors import DomainError
from reachimpact.services import contacts
from reachimpact.services.auth import Principal
from reachimpact.services.contacts import ContactIn, ContactPublic
from reachimpact.state.app import AppState, signed_in_event
from reachimpact.state.contacts import ContactsState
from reachimpact.state.forms import browser_id, form_text, user_message, validated


@dataclass
class ContactDraft:
    """What the create/edit dialog's fields start with."""

    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    email: str = ""
    tags: str = ""  # comma-separated, as typed
    time_zone: str = ""
    notes: str = ""
    opt_out_calls: bool = False
    opt_out_sms: bool = False


def draft_of(contact: ContactPublic) -> ContactDraft:
    return ContactDraft(
        first_name=contact.first_name,
        last_name=contact.last_name,
        phone=contact.phone,
        email=contact.email or "",
        tags=", ".join(contact.tags),
        time_zone=contact.time_zone or "",
        notes=contact.notes or "",
        opt_out_calls=contact.opt_out_calls,
        opt_out_sms=contact.opt_out_sms,
    )


def contact_input(form: dict[str, Any]) -> ContactIn:
    """The dialog's fields as the service takes them. Every field is given, so clearing one clears it,
    except an empty time zone: left out, the service finds it from the phone number."""
    fields: dict[str, Any] = {
        "first_name": form_text(form, "first_name"),
        "last_name": form_text(form, "last_name"),
        "phone": form_text(form, "phone"),
        "email": form_text(form, "email").strip() or None,
        "tags": form_text(form, "tags").split(","),
        "notes": form_text(form, "notes").strip() or None,
        # A checked checkbox submits "on"; an unchecked one submits nothing.
        "opt_out_calls": bool(form.get("opt_out_calls")),
        "opt_out_sms": bool(form.get("opt_out_sms")),
    }
    if time_zone := form_text(form, "time_zone").strip():
        fields["time_zone"] = time_zone
    return validated(ContactIn, fields)


def _draft_from_form(form: dict[str, Any]) -> ContactDraft:
    return ContactDraft(
        first_name=form_text(form, "first_name"),
        last_name=form_text(form, "last_name"),
        phone=form_text(form, "phone"),
        email=form_text(form, "email"),
        tags=form_text(form, "tags"),
        time_zone=form_text(form, "time_zone"),
        notes=form_text(form, "notes"),
        opt_out_calls=bool(form.get("opt_out_calls")),
        opt_out_sms=bool(form.get("opt_out_sms")),
    )


class ContactEditorState(AppState):
    # Its inputs are uncontrolled: a new `draft_version` remounts them.
    dialog_open: bool = False
    editing: bool = False  # an existing contact, rather than a new one
    draft: ContactDraft = rx.field(default_factory=ContactDraft)
    draft_version: int = 0
    error: str = ""  # why the service refused the last save, shown in the dialog
    saving: bool = False

    # Backend-only: the contact the dialog edits, checked by the service when it was opened and again
    # on save.
    _editing_id: str = ""

    def _open(self, draft: ContactDraft, *, contact_id: str) -> None:
        self.draft = draft
        self.draft_version += 1
        self._editing_id = contact_id
        self.editing = bool(contact_id)
        self.error = ""
        self.dialog_open = True

    def _close(self) -> None:
        self.dialog_open = False
        self._editing_id = ""
        self.error = ""

    @rx.event
    def close(self) -> None:
        """On each visit to the page: no dialog left open by an earlier one."""
        self._close()

    @signed_in_event
    async def new_contact(self) -> None:
        await self._signed_in()
        self._open(ContactDraft(), contact_id="")

    @signed_in_event
    async def edit_contact(self, contact_id: str) -> None:
        contact = await self._as_user(
            lambda session, principal: contacts.get_contact(
                session, principal, browser_id(contact_id, "contact")
            )
        )
        self._open(draft_of(contact), contact_id=str(contact.id))

    @rx.event
    def set_dialog_open(self, is_open: bool) -> None:
        # The dialog opens only through new_contact / edit_contact; the browser may only close it.
        if not is_open:
            self._close()

    def _saved(self, session: Session, principal: Principal, data: ContactIn) -> ContactPublic:
        if self._editing_id:
            return contacts.update_contact(session, principal, browser_id(self._editing_id, "contact"), data)
        return contacts.create_contact(session, principal, data)

    @signed_in_event
    async def save(self, form: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        self.error = ""
        self.saving = True
        yield
        try:
            saved = await self._as_user(
                lambda session, principal: self._saved(session, principal, contact_input(form))
            )
        except DomainError as error:
            # Keep what was typed: the dialog shows it again with the reason next to it.
            self.draft = _draft_from_form(form)
            self.draft_version += 1
            self.error = user_message(error)
            return
        finally:
            self.saving = False
        name = f"{saved.first_name} {saved.last_name}".strip() or saved.phone
        edited = bool(self._editing_id)
        self._close()
        page = await self.get_state(ContactsState)
        await page._refresh()
        yield rx.toast.success(f"{name} {'saved' if edited else 'added'}.")
