"""Calls: the latest calls, inbound and outbound."""

from __future__ import annotations

import reflex as rx

from reachimpact import routes
from reachimpact.components.badges import sentiment_badge, status_badge
from reachimpact.components.data_table import data_table, or_dash
from reachimpact.components.empty_state import empty_state, when_loaded
from reachimpact.components.layout import template
from reachimpact.state.calls import CallsState
from reachimpact.state.rows import CallRow


def _call(call: rx.Var[CallRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(call.when, white_space="nowrap"),
        rx.table.cell(rx.cond(call.contact != "", call.contact, rx.text("Unknown", color_scheme="gray"))),
        rx.table.cell(
            rx.hstack(
                rx.icon(rx.cond(call.direction == "inbound", "phone-incoming", "phone-outgoing"), size=14),
                rx.text(call.number),
                align="center",
                spacing="2",
                white_space="nowrap",
            )
        ),
        rx.table.cell(status_badge(call.status)),
        rx.table.cell(or_dash(call.duration)),
        rx.table.cell(sentiment_badge(call.sentiment)),
    )


@template(route=routes.CALLS, title="Calls", on_load=CallsState.load)
def calls() -> rx.Component:
    return when_loaded(
        CallsState.loading,
        rx.cond(
            CallsState.calls.length() > 0,
            data_table(
                ["When", "Contact", "Number", "Status", "Duration", "Sentiment"], CallsState.calls, _call
            ),
            empty_state("phone", "No calls yet", "Calls made or received will appear here."),
        ),
    )
