"""A headline number with its label, as on the dashboard."""

from __future__ import annotations

import reflex as rx


def stat_card(label: str, value: rx.Var[int], icon: str, detail: rx.Var[str] | str = "") -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.text(label, size="2", color_scheme="gray", weight="medium"),
                rx.text(value, size="7", weight="bold", class_name="stat-value"),
                rx.text(detail, size="1", color_scheme="gray"),
                spacing="1",
            ),
            rx.spacer(),
            rx.icon(icon, size=22, color=rx.color("accent", 9)),
            align="start",
            width="100%",
        ),
        width="100%",
        role="group",
        aria_label=label,
    )
