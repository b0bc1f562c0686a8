"""Campaigns: the organization's call and text campaigns, newest first, and the form for a new one."""

from __future__ import annotations

import reflex as rx

from reachimpact import routes
from reachimpact.components.badges import status_badge
from reachimpact.components.campaign_form import campaign_form
from reachimpact.components.data_table import data_table
from reachimpact.components.empty_state import empty_state, when_loaded
from reachimpact.components.layout import template
from reachimpact.state.campaigns import CampaignsState
from reachimpact.state.rows import CampaignRow


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


def _new_campaign() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("plus", size=16), "New campaign")),
        rx.dialog.content(
            rx.dialog.title("New call campaign"),
            rx.dialog.description(
                "It starts as a draft: nobody is called until you start it.", size="2", color_scheme="gray"
            ),
            campaign_form(
                CampaignsState.draft,
                on_submit=CampaignsState.create,
                saving=CampaignsState.saving,
                error=CampaignsState.form_error,
                submit_label="Create campaign",
            ),
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
