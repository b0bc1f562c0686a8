"""What a list shows while it loads, and when there is nothing to show."""

from __future__ import annotations

import reflex as rx


def empty_state(icon: str, title: str, text: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon(icon, size=32, color=rx.color("gray", 9)),
            rx.heading(title, as_="h2", size="4", weight="medium"),
            rx.text(text, color_scheme="gray", size="2", align="center"),
            align="center",
            spacing="2",
            padding_y="2.5em",
        ),
        width="100%",
        class_name="empty-state",
    )


def loading_state(label: str = "Loading…") -> rx.Component:
    """A spinner over a few placeholder lines, shown until the page's data arrives."""
    return rx.vstack(
        rx.hstack(rx.spinner(size="2"), rx.text(label, color_scheme="gray", size="2"), align="center"),
        *[rx.skeleton(rx.box(height="2em", width="100%"), loading=True) for _ in range(3)],
        width="100%",
        spacing="3",
        aria_busy="true",
        class_name="loading-state",
    )


def when_loaded(loading: rx.Var[bool], content: rx.Component) -> rx.Component:
    return rx.cond(loading, loading_state(), content)
