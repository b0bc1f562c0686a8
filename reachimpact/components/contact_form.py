"""The contact form of the contacts page's create/edit dialog."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventType

from reachimpact.components.forms import (
    dialog_form_buttons,
    form_error,
    labeled_checkbox,
    labeled_input,
    labeled_text_area,
)
from reachimpact.components.time_zones import TIME_ZONE_CHOICES, time_zone_choices
from reachimpact.state.contact_editor import ContactDraft


def contact_form(
    draft: rx.Var[ContactDraft],
    *,
    on_submit: EventType[dict],
    saving: rx.Var[bool],
    error: rx.Var[str],
    key: rx.Var[int] | int = 0,
) -> rx.Component:
    return rx.form(
        rx.vstack(
            form_error(error),
            rx.hstack(
                labeled_input("First name", "first_name", default_value=draft.first_name, max_length=200),
                labeled_input("Last name", "last_name", default_value=draft.last_name, max_length=200),
                width="100%",
            ),
            labeled_input(
                "Phone",
                "phone",
                default_value=draft.phone,
                required=True,
                max_length=64,
                type="tel",
                hint="Any format; without a country code, your organization's region is assumed.",
            ),
            labeled_input("Email", "email", default_value=draft.email, max_length=320),
            labeled_input(
                "Tags",
                "tags",
                default_value=draft.tags,
                max_length=2000,
                hint="Separated by commas, e.g. volunteer, donor",
            ),
            labeled_input(
                "Time zone",
                "time_zone",
                default_value=draft.time_zone,
                max_length=64,
                custom_attrs={"list": TIME_ZONE_CHOICES},
                hint="Found from the phone number when it can be; e.g. America/Chicago.",
            ),
            time_zone_choices(),
            labeled_text_area("Notes", "notes", default_value=draft.notes, max_length=10_000),
            rx.hstack(
                labeled_checkbox("Opted out of calls", "opt_out_calls", default_checked=draft.opt_out_calls),
                labeled_checkbox("Opted out of texts", "opt_out_sms", default_checked=draft.opt_out_sms),
                spacing="5",
            ),
            dialog_form_buttons("Save", saving=saving),
            spacing="3",
            width="100%",
        ),
        on_submit=on_submit,
        # Uncontrolled inputs: a new key remounts them with the contact just opened.
        key=key,
        width="100%",
    )
