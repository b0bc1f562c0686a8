"""A titled card that groups one part of a page (Settings, Do-not-contact)."""

from __future__ import annotations

import reflex as rx


def section(title: str, *children: rx.Component, description: str = "") -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(title, as_="h2", size="4"),
            *([rx.text(description, size="2", color_scheme="gray")] if description else []),
            *children,
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
