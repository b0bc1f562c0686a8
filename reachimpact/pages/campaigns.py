"""Campaigns: the organization's call and text campaigns, newest first."""

from __future__ import annotations

import reflex as rx

from reachimpact import routes
from reachimpact.components.badges import status_badge
from reachimpact.components.data_table import data_table
from reachimpact.components.empty_state import empty_state, when_loaded
from reachimpact.components.layout import template
from reachimpact.state.campaigns import CampaignsState
from reachimpact.state.rows import CampaignRow


def _campaign(campaign: rx.Var[CampaignRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(campaign.name),
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


@template(route=routes.CAMPAIGNS, title="Campaigns", on_load=CampaignsState.load)
def campaigns() -> rx.Component:
    return when_loaded(
        CampaignsState.loading,
        rx.cond(
            CampaignsState.campaigns.length() > 0,
            data_table(["Name", "Type", "Status", "Created"], CampaignsState.campaigns, _campaign),
            empty_state(
                "megaphone", "No campaigns yet", "Call and text campaigns you create will appear here."
            ),
        ),
    )
