"""The chat page: text conversations, the most recently active first."""

from __future__ import annotations

import reflex as rx

from reachimpact.db import session_scope
from reachimpact.services import overview
from reachimpact.state.app import AppState
from reachimpact.state.rows import ConversationRow, conversation_row, zone


class ChatState(AppState):
    loading: bool = True
    conversations: list[ConversationRow] = rx.field(default_factory=list)

    @rx.event
    def load(self) -> None:
        with session_scope() as session:
            profile = self._current_organization(session)
            if profile is None:
                self.conversations = []
            else:
                tz = zone(profile.time_zone)
                self.conversations = [
                    conversation_row(c, tz)
                    for c in overview.recent_conversations(session, organization_id=profile.id)
                ]
        self.loading = False
