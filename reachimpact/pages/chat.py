"""Chat: text conversations with contacts, the most recently active first."""

from __future__ import annotations

import reflex as rx

from reachimpact import routes
from reachimpact.components.empty_state import empty_state, when_loaded
from reachimpact.components.layout import template
from reachimpact.state.chat import ChatState
from reachimpact.state.rows import ConversationRow


def _conversation(conversation: rx.Var[ConversationRow]) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.avatar(
                fallback=rx.cond(conversation.contact != "", conversation.contact[:1], "#"),
                size="3",
                radius="full",
            ),
            rx.vstack(
                rx.hstack(
                    rx.text(
                        rx.cond(conversation.contact != "", conversation.contact, conversation.phone),
                        weight="medium",
                    ),
                    rx.cond(
                        conversation.unread > 0,
                        rx.badge(conversation.unread, color_scheme="indigo", radius="full"),
                    ),
                    rx.spacer(),
                    rx.text(conversation.when, size="1", color_scheme="gray", white_space="nowrap"),
                    width="100%",
                    align="center",
                ),
                rx.text(
                    conversation.preview, size="2", color_scheme="gray", trim="both", class_name="preview"
                ),
                spacing="1",
                width="100%",
                min_width="0",
            ),
            align="center",
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


@template(route=routes.CHAT, title="Chat", on_load=ChatState.load)
def chat() -> rx.Component:
    return when_loaded(
        ChatState.loading,
        rx.cond(
            ChatState.conversations.length() > 0,
            rx.vstack(rx.foreach(ChatState.conversations, _conversation), width="100%", spacing="2"),
            empty_state(
                "message-square", "No conversations yet", "Text messages with your contacts will appear here."
            ),
        ),
    )
