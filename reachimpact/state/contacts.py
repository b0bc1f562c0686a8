"""The contacts page: one page of the organization's contacts at a time, searched, filtered and sorted by
the database; the create/edit dialog, deletion, bulk tagging, adding to a campaign and the CSV export.

Only the visible page lives in this state (the whole state is resent on each change): paging is by
keyset, with the cursors of the pages visited kept backend-only for "Previous". Every handler asks
`_principal()` first and passes the principal on: the services decide what this user may see and
change, so an id of another organization's contact is "not found" there, never here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from reachimpact.db import session_scope
from reachimpact.errors import DomainError
from reachimpact.services import contacts
from reachimpact.services.auth import Principal
from reachimpact.services.campaigns import AddedContacts, add_contacts, campaigns_accepting_contacts
from reachimpact.services.contacts import ContactIn, ContactPublic
from reachimpact.services.members import MANAGERS
from reachimpact.state.app import AppState
from reachimpact.state.messages import browser_id, form_text, user_message, validated
from reachimpact.state.rows import ContactRow, contact_row

PAGE_SIZE = 50
# The tag filter's "every tag" choice. Radix selects reserve "" for "nothing chosen", and no real tag
# can take this value: tags are trimmed (services.contacts.clean_tags), so none starts with a space.
ANY_TAG = " any"
# Sortable columns, as the page names them → the service's sort keys.
SORT_COLUMNS = {"name": "name", "phone": "phone", "created": "created_at"}
DEFAULT_SORT = "-created_at"
SEARCH_INPUT_ID = "contacts-search"
# The export travels to the browser through the websocket as one data URL; past this many rows, the
# streaming API route (GET /api/contacts/export) is the way.
EXPORT_IN_BROWSER_LIMIT = 100_000


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


@dataclass
class CampaignOption:
    """A campaign the selected contacts can be added to, as the dialog's menu shows it."""

    id: str = ""
    label: str = ""  # its name and status
    name: str = ""


def count_label(total: int, *, capped: bool) -> str:
    """'1 contact', '1,234 contacts', '10,000+ contacts' (a broad filter's count stops at a cap)."""
    if capped:
        return f"{total:,}+ contacts"
    return "1 contact" if total == 1 else f"{total:,} contacts"


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


def added_message(added: AddedContacts, campaign: str) -> str:
    """'Added 2 contacts to Spring drive.', and what was not added, when anything was not."""
    parts = [f"Added {_contacts(added.added)} to {campaign}."]
    if added.already_in:
        parts.append(f"{_contacts(added.already_in)} {_were(added.already_in)} already in it.")
    if added.not_found:
        parts.append(f"{_contacts(added.not_found)} {_were(added.not_found)} not found.")
    return " ".join(parts)


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


class ContactsState(AppState):
    loading: bool = True  # until the first page arrives
    page_loading: bool = False  # while another page (or filter, or sort) is fetched

    rows: list[ContactRow] = rx.field(default_factory=list)
    total: int = 0
    # A broad search or filter is counted only up to services.contacts.PAGE_COUNT_CAP: "1,000+".
    total_capped: bool = False
    page_number: int = 1
    has_next: bool = False

    query: str = ""
    tag: str = ""
    sort: str = DEFAULT_SORT
    tags: list[str] = rx.field(default_factory=list)  # every tag in use, for the filter

    # Ids of the checked rows; only rows of the visible page can be checked.
    selected: list[str] = rx.field(default_factory=list)
    bulk_tag: str = ""

    # Owners and admins; decides what is shown (the services check the role again on every call).
    can_manage: bool = False
    exporting: bool = False

    # The "Add to campaign" dialog: the campaigns still taking contacts, and the one chosen.
    campaign_picker_open: bool = False
    campaign_options: list[CampaignOption] = rx.field(default_factory=list)
    chosen_campaign: str = ""
    campaign_error: str = ""
    adding_to_campaign: bool = False

    # The create/edit dialog. Its inputs are uncontrolled: a new `draft_version` remounts them.
    editor_open: bool = False
    editing: bool = False  # an existing contact, rather than a new one
    draft: ContactDraft = rx.field(default_factory=ContactDraft)
    draft_version: int = 0
    editor_error: str = ""
    saving: bool = False

    # Backend-only: the cursor of each page visited ("" for the first), and of the next page.
    _cursors: list[str] = rx.field(default_factory=lambda: [""])
    _next_cursor: str = ""
    # The contact the dialog edits, checked by the service when it was opened and again on save.
    _editing_id: str = ""

    @rx.var
    def total_label(self) -> str:
        return count_label(self.total, capped=self.total_capped)

    @rx.var
    def filtering(self) -> bool:
        return bool(self.query or self.tag)

    @rx.var
    def tag_choice(self) -> str:
        return self.tag or ANY_TAG

    @rx.var
    def all_selected(self) -> bool:
        return bool(self.rows) and len(self.selected) == len(self.rows)

    @rx.var
    def sort_column(self) -> str:
        key = self.sort.lstrip("-")
        return next((column for column, sort_key in SORT_COLUMNS.items() if sort_key == key), "")

    @rx.var
    def sort_descending(self) -> bool:
        return self.sort.startswith("-")

    @rx.var
    def first_shown(self) -> int:
        return (self.page_number - 1) * PAGE_SIZE + 1 if self.rows else 0

    @rx.var
    def last_shown(self) -> int:
        return (self.page_number - 1) * PAGE_SIZE + len(self.rows)

    # --- reading -----------------------------------------------------------------------------------

    def _fetch(self, session: Session, principal: Principal) -> None:
        """The page under the current cursor, with the filter and sort as they are now."""
        page = contacts.list_contacts(
            session,
            principal,
            q=self.query or None,
            tag=self.tag or None,
            cursor=self._cursors[-1] or None,
            page_size=PAGE_SIZE,
            count_cap=contacts.PAGE_COUNT_CAP,
            sort=self.sort,
        )
        tz = self._organization_zone(session, principal)
        self.rows = [contact_row(contact, tz) for contact in page.items]
        self.total = page.total
        self.total_capped = page.total_capped
        self._next_cursor = page.next_cursor or ""
        self.has_next = page.next_cursor is not None
        self.page_number = len(self._cursors)
        visible = {row.id for row in self.rows}
        self.selected = [contact_id for contact_id in self.selected if contact_id in visible]

    def _refresh(self, principal: Principal) -> None:
        """The current page again, and the tags in use (both change with every write)."""
        with session_scope() as session:
            self._fetch(session, principal)
            if not self.rows and len(self._cursors) > 1:
                # The last rows of this page are gone: show the page before it.
                self._cursors.pop()
                self._fetch(session, principal)
            self.tags = contacts.all_tags(session, principal)
        self.can_manage = principal.role in MANAGERS

    def _from_the_top(self, principal: Principal) -> Iterator[None]:
        """Back to the first page after the filter or sort changed, showing that a page is loading."""
        self._cursors = [""]
        self.selected = []
        yield from self._load_page(principal)

    def _load_page(self, principal: Principal) -> Iterator[None]:
        self.page_loading = True
        yield
        try:
            with session_scope() as session:
                self._fetch(session, principal)
        finally:
            self.page_loading = False

    @rx.event
    def load(self) -> EventSpec | None:
        """On each visit: the page the user was on (coming back from a contact keeps the place)."""
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        self._close_editor()
        self._close_campaign_picker()
        self._refresh(principal)
        self.loading = False
        return None

    @rx.event
    def refresh(self) -> EventSpec | None:
        """The current page again (e.g. after an import finished)."""
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        self._refresh(principal)
        return None

    @rx.event
    def search(self, value: str) -> Iterator[EventSpec | None]:
        principal = self._principal()
        if principal is None:
            yield self._sign_in_redirect()
            return
        self.query = value.strip()[:200] if isinstance(value, str) else ""
        yield from self._from_the_top(principal)

    @rx.event
    def filter_tag(self, value: str) -> Iterator[EventSpec | None]:
        principal = self._principal()
        if principal is None:
            yield self._sign_in_redirect()
            return
        self.tag = "" if not isinstance(value, str) or value == ANY_TAG else value.strip().lower()[:50]
        yield from self._from_the_top(principal)

    @rx.event
    def clear_filters(self) -> Iterator[EventSpec | None]:
        principal = self._principal()
        if principal is None:
            yield self._sign_in_redirect()
            return
        self.query = self.tag = ""
        # The search box is uncontrolled: clearing it is the browser's part.
        yield rx.set_value(SEARCH_INPUT_ID, "")
        yield from self._from_the_top(principal)

    @rx.event
    def sort_by(self, column: str) -> Iterator[EventSpec | None]:
        """Sort by `column`; again on the same column reverses the order."""
        principal = self._principal()
        if principal is None:
            yield self._sign_in_redirect()
            return
        key = SORT_COLUMNS.get(column)
        if key is None:
            return
        if self.sort.lstrip("-") == key:
            self.sort = key if self.sort.startswith("-") else f"-{key}"
        else:
            self.sort = f"-{key}" if key == "created_at" else key  # newest first, A to Z
        yield from self._from_the_top(principal)

    @rx.event
    def next_page(self) -> Iterator[EventSpec | None]:
        principal = self._principal()
        if principal is None:
            yield self._sign_in_redirect()
            return
        if not self._next_cursor:
            return
        self._cursors.append(self._next_cursor)
        self.selected = []
        yield from self._load_page(principal)

    @rx.event
    def previous_page(self) -> Iterator[EventSpec | None]:
        principal = self._principal()
        if principal is None:
            yield self._sign_in_redirect()
            return
        if len(self._cursors) < 2:
            return
        self._cursors.pop()
        self.selected = []
        yield from self._load_page(principal)

    # --- selection and bulk actions ----------------------------------------------------------------

    @rx.event
    def toggle_selected(self, contact_id: str, checked: bool) -> None:
        # Only rows on the page can be checked: an id the page does not show is ignored.
        if checked is True and contact_id in {row.id for row in self.rows}:
            if contact_id not in self.selected:
                self.selected.append(contact_id)
        elif contact_id in self.selected:
            self.selected.remove(contact_id)

    @rx.event
    def toggle_all(self, checked: bool) -> None:
        self.selected = [row.id for row in self.rows] if checked is True else []

    @rx.event
    def clear_selection(self) -> None:
        self.selected = []

    @rx.event
    def set_bulk_tag(self, value: str) -> None:
        self.bulk_tag = value.strip()[:50] if isinstance(value, str) else ""

    def _on_selected(
        self, principal: Principal, action: Callable[[Session, Principal, list[uuid.UUID]], Any]
    ) -> Any:
        """What `action` returns for the selected contacts (there must be some); then the selection is
        cleared and the page shown afresh. The service's DomainError leaves the selection as it was."""
        ids = [browser_id(contact_id, "contact") for contact_id in self.selected]
        with session_scope() as session:
            result = action(session, principal, ids)
        self.selected = []
        self._refresh(principal)
        return result

    def _bulk_event(
        self, action: Callable[[Session, Principal, list[uuid.UUID]], int], done: Callable[[int], str]
    ) -> EventSpec:
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        if not self.selected:
            return rx.toast.error("Select contacts first.")
        try:
            changed = self._on_selected(principal, action)
        except DomainError as error:
            return rx.toast.error(user_message(error))
        return rx.toast.success(done(changed))

    @rx.event
    def bulk_add_tag(self) -> EventSpec:
        tag = self.bulk_tag
        return self._bulk_event(
            lambda session, principal, ids: contacts.bulk_add_tag(session, principal, ids, tag),
            lambda n: f"Tag '{tag.lower()}' added to {_contacts(n)}.",
        )

    @rx.event
    def bulk_remove_tag(self) -> EventSpec:
        tag = self.bulk_tag
        if not tag:
            return rx.toast.error("Type the tag to remove.")
        return self._bulk_event(
            lambda session, principal, ids: contacts.bulk_remove_tag(session, principal, ids, tag),
            lambda n: f"Tag '{tag.lower()}' removed from {_contacts(n)}.",
        )

    @rx.event
    def bulk_delete(self) -> EventSpec:
        return self._bulk_event(contacts.bulk_delete, lambda n: f"Deleted {_contacts(n)}.")

    # --- adding to a campaign ----------------------------------------------------------------------

    def _close_campaign_picker(self) -> None:
        self.campaign_picker_open = False
        self.campaign_error = ""

    @rx.event
    def open_campaign_picker(self) -> EventSpec | None:
        """The dialog, with the campaigns that take contacts now (the newest chosen)."""
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        with session_scope() as session:
            choices = campaigns_accepting_contacts(session, principal)
        self.campaign_options = [
            CampaignOption(id=str(c.id), label=f"{c.name} ({c.status.value})", name=c.name) for c in choices
        ]
        self.chosen_campaign = self.campaign_options[0].id if self.campaign_options else ""
        self.campaign_error = ""
        self.campaign_picker_open = True
        return None

    @rx.event
    def set_campaign_picker_open(self, is_open: bool) -> None:
        # The dialog opens only through open_campaign_picker; the browser may only close it.
        if not is_open:
            self._close_campaign_picker()

    @rx.event
    def choose_campaign(self, value: str) -> None:
        self.chosen_campaign = value if isinstance(value, str) else ""
        self.campaign_error = ""  # it was about the campaign chosen before

    @rx.event
    def add_to_campaign(self) -> Iterator[EventSpec | None]:
        """The selected contacts into the chosen campaign; the service's refusal shows in the dialog."""
        principal = self._principal()
        if principal is None:
            yield self._sign_in_redirect()
            return
        if not self.selected or not self.chosen_campaign:
            self.campaign_error = "Select contacts first." if not self.selected else "Choose a campaign."
            return
        self.campaign_error = ""
        self.adding_to_campaign = True
        yield
        try:
            campaign_id = browser_id(self.chosen_campaign, "campaign")
            added: AddedContacts = self._on_selected(
                principal, lambda session, principal, ids: add_contacts(session, principal, campaign_id, ids)
            )
        except DomainError as error:
            self.campaign_error = user_message(error)
            return
        finally:
            self.adding_to_campaign = False
        name = next((c.name for c in self.campaign_options if c.id == self.chosen_campaign), "the campaign")
        self._close_campaign_picker()
        yield rx.toast.success(added_message(added, name))

    # --- one contact -------------------------------------------------------------------------------

    @rx.event
    def delete_contact(self, contact_id: str) -> EventSpec:
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        try:
            with session_scope() as session:
                contacts.delete_contact(session, principal, browser_id(contact_id, "contact"))
        except DomainError as error:
            return rx.toast.error(user_message(error))
        self._refresh(principal)
        return rx.toast.success("Contact deleted.")

    def _open_editor(self, draft: ContactDraft, *, contact_id: str) -> None:
        self.draft = draft
        self.draft_version += 1
        self._editing_id = contact_id
        self.editing = bool(contact_id)
        self.editor_error = ""
        self.editor_open = True

    def _close_editor(self) -> None:
        self.editor_open = False
        self._editing_id = ""
        self.editor_error = ""

    @rx.event
    def new_contact(self) -> EventSpec | None:
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        self._open_editor(ContactDraft(), contact_id="")
        return None

    @rx.event
    def edit_contact(self, contact_id: str) -> EventSpec | None:
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        try:
            with session_scope() as session:
                contact = contacts.get_contact(session, principal, browser_id(contact_id, "contact"))
        except DomainError as error:
            return rx.toast.error(user_message(error))
        self._open_editor(draft_of(contact), contact_id=str(contact.id))
        return None

    @rx.event
    def set_editor_open(self, is_open: bool) -> None:
        # The dialog opens only through new_contact / edit_contact; the browser may only close it.
        if not is_open:
            self._close_editor()

    @rx.event
    def save_contact(self, form: dict[str, Any]) -> Iterator[EventSpec | None]:
        principal = self._principal()
        if principal is None:
            yield self._sign_in_redirect()
            return
        self.editor_error = ""
        self.saving = True
        yield
        try:
            data = contact_input(form)
            with session_scope() as session:
                if self._editing_id:
                    saved = contacts.update_contact(
                        session, principal, browser_id(self._editing_id, "contact"), data
                    )
                else:
                    saved = contacts.create_contact(session, principal, data)
        except DomainError as error:
            # Keep what was typed: the dialog shows it again with the reason next to it.
            self.draft = _draft_from_form(form)
            self.draft_version += 1
            self.editor_error = user_message(error)
            return
        finally:
            self.saving = False
        name = f"{saved.first_name} {saved.last_name}".strip() or saved.phone
        edited = bool(self._editing_id)
        self._close_editor()
        self._refresh(principal)
        yield rx.toast.success(f"{name} {'saved' if edited else 'added'}.")

    # --- export ------------------------------------------------------------------------------------

    @rx.event
    def export(self) -> Iterator[EventSpec | None]:
        """The contacts matching the current filter as a CSV download (owners and admins)."""
        principal = self._principal()
        if principal is None:
            yield self._sign_in_redirect()
            return
        # A capped count only says "more than the cap": such a file could be any size.
        if self.total_capped or self.total > EXPORT_IN_BROWSER_LIMIT:
            shown = f"{self.total:,}+" if self.total_capped else f"{self.total:,}"
            yield rx.toast.error(
                f"{shown} contacts are too many to download here: narrow the search or filter, "
                "or use the API (GET /api/contacts/export), which streams any number."
            )
            return
        self.exporting = True
        yield
        try:
            with session_scope() as session:
                text = "".join(
                    contacts.export_csv(session, principal, q=self.query or None, tag=self.tag or None)
                )
        except DomainError as error:
            yield rx.toast.error(user_message(error))
            return
        finally:
            self.exporting = False
        yield rx.download(data=text, filename="contacts.csv", mime_type="text/csv")


def _contacts(n: int) -> str:
    return f"{n} contact" if n == 1 else f"{n:,} contacts"


def _were(n: int) -> str:
    return "was" if n == 1 else "were"


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
