"""Dashboard: headline counts and the latest calls of the organization."""

from __future__ import annotations

import reflex as rx

from reachimpact import routes
from reachimpact.components.badges import status_badge
from reachimpact.components.data_table import data_table, or_dash
from reachimpact.components.empty_state import empty_state, when_loaded
from reachimpact.components.layout import template
from reachimpact.components.stat_card import stat_card
from reachimpact.state.dashboard import DashboardState
from reachimpact.state.rows import CallRow


def _recent_call(call: rx.Var[CallRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(call.when, href=f"{routes.CALLS}/" + call.id), white_space="nowrap"),
        rx.table.cell(rx.cond(call.contact != "", call.contact, call.number)),
        rx.table.cell(status_badge(call.status)),
        rx.table.cell(or_dash(call.duration)),
    )


def _recent_calls() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Recent calls", as_="h2", size="4"),
            rx.spacer(),
            rx.link("All calls", href=routes.CALLS, size="2"),
            width="100%",
            align="center",
        ),
        rx.cond(
            DashboardState.recent_calls.length() > 0,
            data_table(["When", "Contact", "Status", "Duration"], DashboardState.recent_calls, _recent_call),
            empty_state("phone", "No calls yet", "Calls made or received will appear here."),
        ),
        width="100%",
        spacing="3",
    )


def _overview() -> rx.Component:
    return rx.vstack(
        rx.grid(
            stat_card("Contacts", DashboardState.contacts, "users"),
            stat_card(
                "Running campaigns",
                DashboardState.running_campaigns,
                "megaphone",
                detail=f"of {DashboardState.campaigns} campaigns",
            ),
            stat_card("Calls", DashboardState.calls_recent, "phone", detail="last 30 days"),
            stat_card("Messages", DashboardState.messages_recent, "message-square", detail="last 30 days"),
            columns=rx.breakpoints(initial="1", sm="2", lg="4"),
            spacing="4",
            width="100%",
        ),
        _recent_calls(),
        width="100%",
        spacing="5",
    )


@template(route=routes.DASHBOARD, title="Dashboard", on_load=DashboardState.load)
def dashboard() -> rx.Component:
    return when_loaded(
        DashboardState.loading,
        rx.cond(
            DashboardState.has_data,
            _overview(),
            empty_state(
                "layout-dashboard",
                "No data yet",
                "Your organization's contacts, campaigns, calls and messages will be summarized here.",
            ),
        ),
    )
