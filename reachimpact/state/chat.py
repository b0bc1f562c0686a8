"""The chat page: text conversations, the most recently active first."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from reachimpact.services import overview
from reachimpact.services.auth import Principal
from reachimpact.state.app import AppState, signed_in_event
from reachimpact.state.rows import ConversationRow, conversation_row


class ChatState(AppState):
    loading: bool = True
    conversations: list[ConversationRow] = rx.field(default_factory=list)

    def _conversations(self, session: Session, principal: Principal) -> list[ConversationRow]:
        tz = self._organization_zone(session, principal)
        return [
            conversation_row(c, tz)
            for c in overview.recent_conversations(session, organization_id=principal.organization_id)
        ]

    @signed_in_event
    async def load(self) -> None:
        self.conversations = await self._as_user(self._conversations)
        self.loading = False
