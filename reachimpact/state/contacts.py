"""The contacts page: the most recently added contacts and how many there are in all."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from reachimpact.db import session_scope
from reachimpact.services import overview
from reachimpact.state.app import AppState
from reachimpact.state.rows import ContactRow, contact_row


class ContactsState(AppState):
    loading: bool = True
    total: int = 0
    contacts: list[ContactRow] = rx.field(default_factory=list)

    @rx.event
    def load(self) -> EventSpec | None:
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        with session_scope() as session:
            self.total = overview.count_contacts(session, organization_id=principal.organization_id)
            self.contacts = [
                contact_row(c)
                for c in overview.recent_contacts(session, organization_id=principal.organization_id)
            ]
        self.loading = False
        return None
