"""Calls: those under way and the latest finished ones, changing live as the calls unfold."""

from __future__ import annotations

import reflex as rx

from reachimpact import routes
from reachimpact.components.call_table import call_table, live_heading
from reachimpact.components.empty_state import empty_state, when_loaded
from reachimpact.components.layout import template
from reachimpact.state.calls import CallsState


def _live() -> rx.Component:
    return rx.vstack(
        live_heading("Live now", CallsState.live_calls.length()),
        rx.cond(
            CallsState.live_calls.length() > 0,
            call_table(CallsState.live_calls),
            rx.text(
                "No calls under way. Start a campaign and its calls show here as they happen.",
                size="2",
                color_scheme="gray",
            ),
        ),
        spacing="3",
        width="100%",
        class_name="live-calls",
    )


def _recent() -> rx.Component:
    return rx.vstack(
        rx.heading("Recent calls", as_="h2", size="4"),
        rx.cond(
            CallsState.recent_calls.length() > 0,
            call_table(CallsState.recent_calls),
            empty_state("phone", "No calls yet", "Calls made or received will appear here."),
        ),
        rx.cond(
            CallsState.has_older,
            rx.button(
                "Show older calls",
                on_click=CallsState.show_older,
                loading=CallsState.loading_older,
                variant="soft",
                color_scheme="gray",
            ),
        ),
        spacing="3",
        width="100%",
        class_name="recent-calls",
    )


@template(route=routes.CALLS, title="Calls", on_load=CallsState.load)
def calls() -> rx.Component:
    return when_loaded(CallsState.loading, rx.vstack(_live(), _recent(), spacing="6", width="100%"))
