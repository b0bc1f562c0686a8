"""The frame of the sign-in and sign-up pages: the app's name over one centred card."""

from __future__ import annotations

import reflex as rx

from reachimpact.components.layout import APP_NAME


def auth_card(title: str, *children: rx.Component) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.hstack(
                rx.image(src="/logo.svg", width="32px", height="32px", alt=""),
                rx.text(APP_NAME, size="6", weight="bold"),
                align="center",
                spacing="2",
            ),
            rx.card(
                rx.vstack(
                    rx.heading(title, as_="h1", size="6"),
                    *children,
                    spacing="4",
                    width="100%",
                ),
                size="3",
                width="100%",
            ),
            align="center",
            spacing="5",
            width="100%",
            max_width="26em",
        ),
        min_height="100vh",
        padding="1.5em",
        background_color=rx.color("gray", 2),
    )
