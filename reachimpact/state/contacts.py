"""The contacts page: one page of the organization's contacts at a time, searched, filtered and sorted by
the database; deletion, bulk tagging, adding to a campaign and the CSV export. The create/edit dialog
is ContactEditorState (state/contact_editor.py), the CSV import ContactImportState.

Only the visible page lives in this state (the whole state is resent on each change): paging is by
keyset, with the cursors of the pages visited kept backend-only for "Previous". Every handler that
touches data is a `@signed_in_event` and reaches the services through `_as_user`: the services decide
what this user may see and change, so an id of another organization's contact is "not found" there,
never here.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from reachimpact.errors import DomainError
from reachimpact.services import contacts
from reachimpact.services.auth import Principal
from reachimpact.services.campaign_audience import AddedContacts, campaigns_accepting_contacts
from reachimpact.services.campaigns import add_contacts
from reachimpact.services.contacts import ContactPage
from reachimpact.services.members import MANAGERS
from reachimpact.state.app import AppState, signed_in_event
from reachimpact.state.forms import browser_id, user_message
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

SelectedAction = Callable[[Session, Principal, list[uuid.UUID]], Any]


@dataclass
class CampaignOption:
    """A campaign the selected contacts can be added to, as the dialog's menu shows it."""

    id: str = ""
    label: str = ""  # its name and status
    name: str = ""


@dataclass(frozen=True)
class _PageRead:
    """One page of contacts, and the time zone its dates are shown in."""

    page: ContactPage
    tz: ZoneInfo


@dataclass(frozen=True)
class _Refreshed:
    """The page under the cursor again, and what else changes with every write, read in one transaction."""

    shown: _PageRead
    # The cursors of the pages visited: one fewer when the page shown had emptied.
    cursors: tuple[str, ...]
    stepped_back: bool
    tags: list[str]
    can_manage: bool


def count_label(total: int, *, capped: bool) -> str:
    """'1 contact', '1,234 contacts', '10,000+ contacts' (a broad filter's count stops at a cap)."""
    if capped:
        return f"{total:,}+ contacts"
    return "1 contact" if total == 1 else f"{total:,} contacts"


def added_message(added: AddedContacts, campaign: str) -> str:
    """'Added 2 contacts to Spring drive.', and what was not added, when anything was not."""
    parts = [f"Added {_contacts(added.added)} to {campaign}."]
    if added.already_in:
        parts.append(f"{_contacts(added.already_in)} {_were(added.already_in)} already in it.")
    if added.not_found:
        parts.append(f"{_contacts(added.not_found)} {_were(added.not_found)} not found.")
    return " ".join(parts)


class ContactsState(AppState):
    loading: bool = True  # until the first page arrives

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

    # Backend-only: the cursor of each page visited ("" for the first), and of the next page.
    _cursors: list[str] = rx.field(default_factory=lambda: [""])
    _next_cursor: str = ""

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

    def _page_at(self, session: Session, principal: Principal, cursor: str) -> _PageRead:
        """The page after `cursor`, with the filter and sort as they are now."""
        page = contacts.list_contacts(
            session,
            principal,
            q=self.query or None,
            tag=self.tag or None,
            cursor=cursor or None,
            page_size=PAGE_SIZE,
            count_cap=contacts.PAGE_COUNT_CAP,
            sort=self.sort,
        )
        return _PageRead(page=page, tz=self._organization_zone(session, principal))

    def _current_page(self, session: Session, principal: Principal) -> _PageRead:
        return self._page_at(session, principal, self._cursors[-1])

    def _refreshed(self, session: Session, principal: Principal) -> _Refreshed:
        cursors = list(self._cursors)
        shown = self._page_at(session, principal, cursors[-1])
        stepped_back = not shown.page.items and len(cursors) > 1
        if stepped_back:
            # The last rows of this page are gone: show the page before it.
            cursors.pop()
            shown = self._page_at(session, principal, cursors[-1])
        return _Refreshed(
            shown=shown,
            cursors=tuple(cursors),
            stepped_back=stepped_back,
            tags=contacts.all_tags(session, principal),
            can_manage=principal.role in MANAGERS,
        )

    def _show_page(self, shown: _PageRead) -> None:
        page = shown.page
        self.rows = [contact_row(contact, shown.tz) for contact in page.items]
        self.total = page.total
        self.total_capped = page.total_capped
        self._next_cursor = page.next_cursor or ""
        self.has_next = page.next_cursor is not None
        self.page_number = len(self._cursors)
        visible = {row.id for row in self.rows}
        self.selected = [contact_id for contact_id in self.selected if contact_id in visible]

    async def _refresh(self) -> None:
        """The current page again, and the tags in use (both change with every write).

        Also used by ContactEditorState after a save, in the same event.
        """
        refreshed = await self._as_user(self._refreshed)
        if refreshed.stepped_back:
            self.selected = []  # none of them was on the emptied page any more
        self._cursors = list(refreshed.cursors)
        self._show_page(refreshed.shown)
        self.tags = refreshed.tags
        self.can_manage = refreshed.can_manage

    async def _from_the_top(self) -> AsyncIterator[None]:
        """Back to the first page after the filter or sort changed, showing that a page is loading."""
        self._cursors = [""]
        self._clear_selection()
        async for update in self._load_page():
            yield update

    def _clear_selection(self) -> None:
        # Only when there is one: assigning marks the state changed, and every component reading it
        # (the table's rows included) renders again.
        if self.selected:
            self.selected = []

    async def _load_page(self) -> AsyncIterator[None]:
        paging = await self.get_state(ContactsPagingState)
        paging.page_loading = True
        yield
        try:
            shown = await self._as_user(self._current_page)
        finally:
            paging.page_loading = False
        self._show_page(shown)

    @signed_in_event
    async def load(self) -> None:
        """On each visit: the page the user was on (coming back from a contact keeps the place)."""
        self._close_campaign_picker()
        await self._refresh()
        self.loading = False

    @signed_in_event
    async def refresh(self) -> None:
        """The current page again (e.g. after an import finished)."""
        await self._refresh()

    @signed_in_event
    async def search(self, value: str) -> AsyncIterator[EventSpec | None]:
        self.query = value.strip()[:200] if isinstance(value, str) else ""
        async for update in self._from_the_top():
            yield update

    @signed_in_event
    async def filter_tag(self, value: str) -> AsyncIterator[EventSpec | None]:
        self.tag = "" if not isinstance(value, str) or value == ANY_TAG else value.strip().lower()[:50]
        async for update in self._from_the_top():
            yield update

    @signed_in_event
    async def clear_filters(self) -> AsyncIterator[EventSpec | None]:
        self.query = self.tag = ""
        # The search box is uncontrolled: clearing it is the browser's part.
        yield rx.set_value(SEARCH_INPUT_ID, "")
        async for update in self._from_the_top():
            yield update

    @signed_in_event
    async def sort_by(self, column: str) -> AsyncIterator[EventSpec | None]:
        """Sort by `column`; again on the same column reverses the order."""
        key = SORT_COLUMNS.get(column)
        if key is None:
            return
        if self.sort.lstrip("-") == key:
            self.sort = key if self.sort.startswith("-") else f"-{key}"
        else:
            self.sort = f"-{key}" if key == "created_at" else key  # newest first, A to Z
        async for update in self._from_the_top():
            yield update

    @signed_in_event
    async def next_page(self) -> AsyncIterator[EventSpec | None]:
        if not self._next_cursor:
            return
        self._cursors.append(self._next_cursor)
        self._clear_selection()
        async for update in self._load_page():
            yield update

    @signed_in_event
    async def previous_page(self) -> AsyncIterator[EventSpec | None]:
        if len(self._cursors) < 2:
            return
        self._cursors.pop()
        self._clear_selection()
        async for update in self._load_page():
            yield update

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

    async def _on_selected(self, action: SelectedAction) -> Any:
        """What `action` returns for the selected contacts (there must be some); then the selection is
        cleared and the page shown afresh. The service's DomainError leaves the selection as it was."""
        ids = [browser_id(contact_id, "contact") for contact_id in self.selected]
        result = await self._as_user(lambda session, principal: action(session, principal, ids))
        self.selected = []
        await self._refresh()
        return result

    async def _bulk_action(
        self, action: Callable[[Session, Principal, list[uuid.UUID]], int], done: Callable[[int], str]
    ) -> EventSpec:
        if not self.selected:
            return rx.toast.error("Select contacts first.")
        return rx.toast.success(done(await self._on_selected(action)))

    @signed_in_event
    async def bulk_add_tag(self) -> EventSpec:
        tag = self.bulk_tag
        return await self._bulk_action(
            lambda session, principal, ids: contacts.bulk_add_tag(session, principal, ids, tag),
            lambda n: f"Tag '{tag.lower()}' added to {_contacts(n)}.",
        )

    @signed_in_event
    async def bulk_remove_tag(self) -> EventSpec:
        tag = self.bulk_tag
        if not tag:
            return rx.toast.error("Type the tag to remove.")
        return await self._bulk_action(
            lambda session, principal, ids: contacts.bulk_remove_tag(session, principal, ids, tag),
            lambda n: f"Tag '{tag.lower()}' removed from {_contacts(n)}.",
        )

    @signed_in_event
    async def bulk_delete(self) -> EventSpec:
        return await self._bulk_action(contacts.bulk_delete, lambda n: f"Deleted {_contacts(n)}.")

    # --- adding to a campaign ----------------------------------------------------------------------

    def _close_campaign_picker(self) -> None:
        self.campaign_picker_open = False
        self.campaign_error = ""

    @signed_in_event
    async def open_campaign_picker(self) -> None:
        """The dialog, with the campaigns that take contacts now (the newest chosen)."""
        choices = await self._as_user(campaigns_accepting_contacts)
        self.campaign_options = [
            CampaignOption(id=str(c.id), label=f"{c.name} ({c.status.value})", name=c.name) for c in choices
        ]
        self.chosen_campaign = self.campaign_options[0].id if self.campaign_options else ""
        self.campaign_error = ""
        self.campaign_picker_open = True

    @rx.event
    def set_campaign_picker_open(self, is_open: bool) -> None:
        # The dialog opens only through open_campaign_picker; the browser may only close it.
        if not is_open:
            self._close_campaign_picker()

    @rx.event
    def choose_campaign(self, value: str) -> None:
        self.chosen_campaign = value if isinstance(value, str) else ""
        self.campaign_error = ""  # it was about the campaign chosen before

    @signed_in_event
    async def add_to_campaign(self) -> AsyncIterator[EventSpec | None]:
        """The selected contacts into the chosen campaign; the service's refusal shows in the dialog."""
        if not self.selected or not self.chosen_campaign:
            self.campaign_error = "Select contacts first." if not self.selected else "Choose a campaign."
            return
        self.campaign_error = ""
        self.adding_to_campaign = True
        yield
        try:
            campaign_id = browser_id(self.chosen_campaign, "campaign")
            added: AddedContacts = await self._on_selected(
                lambda session, principal, ids: add_contacts(session, principal, campaign_id, ids)
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

    @signed_in_event
    async def delete_contact(self, contact_id: str) -> EventSpec:
        await self._as_user(
            lambda session, principal: contacts.delete_contact(
                session, principal, browser_id(contact_id, "contact")
            )
        )
        await self._refresh()
        return rx.toast.success("Contact deleted.")

    # --- export ------------------------------------------------------------------------------------

    @signed_in_event
    async def export(self) -> AsyncIterator[EventSpec | None]:
        """The contacts matching the current filter as a CSV download (owners and admins)."""
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
        q, tag = self.query or None, self.tag or None
        try:
            text = await self._as_user(
                lambda session, principal: "".join(contacts.export_csv(session, principal, q=q, tag=tag))
            )
        finally:
            self.exporting = False
        yield rx.download(data=text, filename="contacts.csv", mime_type="text/csv")


def _contacts(n: int) -> str:
    return f"{n} contact" if n == 1 else f"{n:,} contacts"


def _were(n: int) -> str:
    return "was" if n == 1 else "were"


class ContactsPagingState(ContactsState):
    """Whether another page (or filter, or sort) is being fetched.

    A state of its own: a page's component renders again whenever any var of a state it reads changes,
    so the flag, kept beside the rows, re-rendered all of them twice a flip (bench/ui.py); here it
    renders only the spinner, the paging buttons and the table's fading.
    """

    page_loading: bool = False
