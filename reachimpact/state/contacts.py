"""The contacts page: the most recently added contacts and how many there are in all."""

from __future__ import annotations

import reflex as rx

from reachimpact.db import session_scope
from reachimpact.services import overview
from reachimpact.state.app import AppState
from reachimpact.state.rows import ContactRow, contact_row


class ContactsState(AppState):
    loading: bool = True
    total: int = 0
    contacts: list[ContactRow] = rx.field(default_factory=list)

    @rx.event
    def load(self) -> None:
        with session_scope() as session:
            profile = self._current_organization(session)
            if profile is None:
                self.total, self.contacts = 0, []
            else:
                self.total = overview.count_contacts(session, organization_id=profile.id)
                self.contacts = [
                    contact_row(c) for c in overview.recent_contacts(session, organization_id=profile.id)
                ]
        self.loading = False
