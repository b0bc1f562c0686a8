"""The chat page: text conversations, the most recently active first."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from reachimpact.db import session_scope
from reachimpact.services import overview
from reachimpact.state.app import AppState
from reachimpact.state.rows import ConversationRow, conversation_row


class ChatState(AppState):
    loading: bool = True
    conversations: list[ConversationRow] = rx.field(default_factory=list)

    @rx.event
    def load(self) -> EventSpec | None:
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        with session_scope() as session:
            tz = self._organization_zone(session, principal)
            self.conversations = [
                conversation_row(c, tz)
                for c in overview.recent_conversations(session, organization_id=principal.organization_id)
            ]
        self.loading = False
        return None
