"""Form pieces: a labelled input, and the error or notice a form shows after it was sent."""

from __future__ import annotations

from typing import Any

import reflex as rx


def labeled_input(label: str, name: str, *, hint: str = "", **props: Any) -> rx.Component:
    """An input with a real <label> (so screen readers and tests find it by its label)."""
    field_id = f"field-{name.replace('_', '-')}"
    return rx.vstack(
        rx.el.label(rx.text(label, size="2", weight="medium"), html_for=field_id),
        rx.input(id=field_id, name=name, width="100%", **props),
        *([rx.text(hint, size="1", color_scheme="gray")] if hint else []),
        spacing="1",
        width="100%",
    )


def form_error(message: rx.Var[str]) -> rx.Component:
    """The service's reason for refusing, announced to screen readers; nothing while there is none."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle-alert", color_scheme="red", role="alert", width="100%"),
    )


def form_notice(message: rx.Var[str]) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="circle-check", color_scheme="green", role="status", width="100%"),
    )


def labeled_text_area(label: str, name: str, *, hint: str = "", **props: Any) -> rx.Component:
    field_id = f"field-{name.replace('_', '-')}"
    return rx.vstack(
        rx.el.label(rx.text(label, size="2", weight="medium"), html_for=field_id),
        rx.text_area(id=field_id, name=name, width="100%", **props),
        *([rx.text(hint, size="1", color_scheme="gray")] if hint else []),
        spacing="1",
        width="100%",
    )


def labeled_checkbox(label: str, name: str, *, default_checked: bool | rx.Var[bool] = False) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.checkbox(name=name, default_checked=default_checked), rx.text(label, size="2"), align="center"
        ),
    )


def dialog_form_buttons(submit_label: str, *, saving: bool | rx.Var[bool]) -> rx.Component:
    """A dialog form's Cancel (closes it) and submit buttons, at its foot."""
    return rx.hstack(
        rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray")),
        rx.button(submit_label, type="submit", loading=saving),
        justify="end",
        spacing="3",
        width="100%",
    )
