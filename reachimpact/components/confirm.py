"""A control that asks before it acts: for deletions and anything else that cannot be undone."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventType


def confirm(
    trigger: rx.Component,
    title: rx.Var[str] | str,
    description: rx.Var[str] | str,
    confirm_label: str,
    on_confirm: EventType[()],
) -> rx.Component:
    """`trigger` opens a dialog saying `description`; only its red `confirm_label` button acts."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(confirm_label, color_scheme="red", on_click=on_confirm)),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
            max_width="28em",
        ),
    )
