"""Campaigns: the organization's call and text campaigns, newest first, and the form for a new one."""

from __future__ import annotations

import reflex as rx

from reachimpact import routes
from reachimpact.components.badges import status_badge
from reachimpact.components.data_table import data_table
from reachimpact.components.empty_state import empty_state, when_loaded
from reachimpact.components.forms import form_error, labeled_checkbox, labeled_input, labeled_text_area
from reachimpact.components.layout import template
from reachimpact.models.campaign import default_retry_policy
from reachimpact.state.campaigns import RETRY_OUTCOMES, CampaignsState
from reachimpact.state.rows import CampaignRow

_RETRY_LABELS = {"busy": "Busy", "no-answer": "No answer", "failed": "Failed"}


def _campaign(campaign: rx.Var[CampaignRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(campaign.name, href=f"{routes.CAMPAIGNS}/" + campaign.id)),
        rx.table.cell(
            rx.hstack(
                rx.icon(rx.cond(campaign.type == "sms", "message-square", "phone"), size=16),
                rx.text(rx.cond(campaign.type == "sms", "Text", "Call")),
                align="center",
                spacing="2",
            )
        ),
        rx.table.cell(status_badge(campaign.status)),
        rx.table.cell(campaign.created, white_space="nowrap"),
    )


def _retry_row(outcome: str) -> rx.Component:
    rule = default_retry_policy()[outcome]
    return rx.hstack(
        rx.text(_RETRY_LABELS[outcome], size="2", width="7em"),
        labeled_input(
            "Attempts",
            f"retry_{outcome}_attempts",
            type="number",
            min=1,
            max=10,
            default_value=str(rule["max_attempts"]),
        ),
        labeled_input(
            "Minutes apart",
            f"retry_{outcome}_delay",
            type="number",
            min=0,
            default_value=str(rule["delay_minutes"]),
        ),
        align="end",
        width="100%",
    )


def _new_campaign_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            form_error(CampaignsState.form_error),
            labeled_input("Name", "name", required=True, max_length=200),
            labeled_text_area(
                "Script",
                "script",
                rows="5",
                max_length=20_000,
                hint=(
                    "Read to each person who answers (Markdown). They can then press 1 to talk to you, "
                    "or 9 to stop these calls."
                ),
            ),
            rx.hstack(
                labeled_input("Call contacts tagged", "tags", hint="Comma separated; empty: every contact."),
                labeled_input("Except those tagged", "exclude_tags"),
                width="100%",
            ),
            rx.hstack(
                labeled_input("Caller ID", "caller_id", type="tel", hint="Empty: your first Twilio number."),
                labeled_input(
                    "Transfer to", "transfer_number", type="tel", hint="Who answers when they press 1."
                ),
                width="100%",
            ),
            rx.hstack(
                labeled_input("Call from", "window_start", type="time", default_value="09:00"),
                labeled_input("Call until", "window_end", type="time", default_value="20:00"),
                labeled_input(
                    "Calls per minute", "calls_per_minute", type="number", min=1, default_value="10"
                ),
                labeled_input("At most at once", "max_concurrent", type="number", min=1, default_value="5"),
                width="100%",
            ),
            rx.text(
                "The calling window applies in each contact's own time zone.", size="1", color_scheme="gray"
            ),
            rx.text("Retries", size="2", weight="medium"),
            *[_retry_row(outcome) for outcome in RETRY_OUTCOMES],
            rx.hstack(
                labeled_checkbox("Detect answering machines", "amd_enabled"),
                rx.select.root(
                    rx.select.trigger(aria_label="On a machine"),
                    rx.select.content(
                        rx.select.item("On a machine: hang up", value="hangup"),
                        rx.select.item("On a machine: leave the message", value="leave_message"),
                    ),
                    name="machine_action",
                    default_value="hangup",
                ),
                align="center",
                spacing="4",
                width="100%",
            ),
            labeled_checkbox("Record calls (a consent notice is played first)", "record_calls"),
            rx.hstack(
                rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray")),
                rx.button("Create campaign", type="submit", loading=CampaignsState.saving),
                justify="end",
                spacing="3",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=CampaignsState.create,
        width="100%",
    )


def _new_campaign() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("plus", size=16), "New campaign")),
        rx.dialog.content(
            rx.dialog.title("New call campaign"),
            rx.dialog.description(
                "It starts as a draft: nobody is called until you start it.", size="2", color_scheme="gray"
            ),
            _new_campaign_form(),
            max_width="44em",
        ),
        open=CampaignsState.creating,
        on_open_change=CampaignsState.set_creating,
    )


@template(route=routes.CAMPAIGNS, title="Campaigns", on_load=CampaignsState.load)
def campaigns() -> rx.Component:
    return rx.vstack(
        rx.cond(CampaignsState.can_manage, rx.hstack(rx.spacer(), _new_campaign(), width="100%")),
        when_loaded(
            CampaignsState.loading,
            rx.cond(
                CampaignsState.campaigns.length() > 0,
                data_table(["Name", "Type", "Status", "Created"], CampaignsState.campaigns, _campaign),
                empty_state(
                    "megaphone",
                    "No campaigns yet",
                    "Create a call campaign: choose who to call, write the script, and start it.",
                ),
            ),
        ),
        spacing="4",
        width="100%",
    )
