"""The call campaign form, for a new campaign (Campaigns page) and for editing one (its own page)."""

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
from reachimpact.state.campaigns import RETRY_OUTCOMES, CampaignDraft

_RETRY_LABELS = {"busy": "Busy", "no-answer": "No answer", "failed": "Failed"}


def _retry_row(draft: rx.Var[CampaignDraft], outcome: str) -> rx.Component:
    field = f"retry_{outcome.replace('-', '_')}"
    return rx.hstack(
        rx.text(_RETRY_LABELS[outcome], size="2", width="6em", flex_shrink="0", white_space="nowrap"),
        labeled_input(
            "Attempts",
            f"{field}_attempts",
            type="number",
            min=1,
            max=10,
            default_value=getattr(draft, f"{field}_attempts"),
        ),
        labeled_input(
            "Minutes apart",
            f"{field}_delay",
            type="number",
            min=0,
            default_value=getattr(draft, f"{field}_delay"),
        ),
        align="end",
        width="100%",
    )


def _audience(draft: rx.Var[CampaignDraft]) -> rx.Component:
    return rx.cond(
        draft.audience_fixed != "",
        rx.vstack(
            rx.text("Audience", size="2", weight="medium"),
            rx.text(draft.audience_fixed, size="2", color_scheme="gray"),
            spacing="1",
            width="100%",
        ),
        rx.hstack(
            labeled_input(
                "Call contacts tagged",
                "tags",
                default_value=draft.tags,
                hint="Comma separated; empty: every contact.",
            ),
            labeled_input("Except those tagged", "exclude_tags", default_value=draft.exclude_tags),
            width="100%",
        ),
    )


def campaign_form(
    draft: rx.Var[CampaignDraft],
    *,
    on_submit: EventType[dict],
    saving: rx.Var[bool],
    error: rx.Var[str],
    submit_label: str,
    key: rx.Var[int] | int = 0,
) -> rx.Component:
    return rx.form(
        rx.vstack(
            form_error(error),
            labeled_input("Name", "name", required=True, max_length=200, default_value=draft.name),
            labeled_text_area(
                "Script",
                "script",
                rows="5",
                max_length=20_000,
                default_value=draft.script,
                hint=(
                    "Read to each person who answers (Markdown). They can then press 1 to talk to you, "
                    "or 9 to stop these calls."
                ),
            ),
            _audience(draft),
            rx.hstack(
                labeled_input(
                    "Caller ID",
                    "caller_id",
                    type="tel",
                    default_value=draft.caller_id,
                    hint="Empty: your first Twilio number.",
                ),
                labeled_input(
                    "Transfer to",
                    "transfer_number",
                    type="tel",
                    default_value=draft.transfer_number,
                    hint="Who answers when they press 1.",
                ),
                width="100%",
            ),
            rx.hstack(
                labeled_input("Call from", "window_start", type="time", default_value=draft.window_start),
                labeled_input("Call until", "window_end", type="time", default_value=draft.window_end),
                labeled_input(
                    "Calls per minute",
                    "calls_per_minute",
                    type="number",
                    min=1,
                    default_value=draft.calls_per_minute,
                ),
                labeled_input(
                    "At most at once",
                    "max_concurrent",
                    type="number",
                    min=1,
                    default_value=draft.max_concurrent,
                ),
                width="100%",
            ),
            rx.text(
                "The calling window applies in each contact's own time zone.", size="1", color_scheme="gray"
            ),
            rx.text("Retries", size="2", weight="medium"),
            *[_retry_row(draft, outcome) for outcome in RETRY_OUTCOMES],
            rx.hstack(
                labeled_checkbox(
                    "Detect answering machines", "amd_enabled", default_checked=draft.amd_enabled
                ),
                rx.select.root(
                    rx.select.trigger(aria_label="On a machine"),
                    rx.select.content(
                        rx.select.item("On a machine: hang up", value="hangup"),
                        rx.select.item("On a machine: leave the message", value="leave_message"),
                    ),
                    name="machine_action",
                    default_value=draft.machine_action,
                ),
                align="center",
                spacing="4",
                width="100%",
            ),
            labeled_checkbox(
                "Record calls (a consent notice is played first)",
                "record_calls",
                default_checked=draft.record_calls,
            ),
            dialog_form_buttons(submit_label, saving=saving),
            spacing="3",
            width="100%",
        ),
        on_submit=on_submit,
        # Uncontrolled inputs: a new key remounts them with the campaign just opened.
        key=key,
        width="100%",
    )
