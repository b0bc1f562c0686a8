"""The calls list shared by the Calls page, each campaign's page and the dashboard: each row links to
the call's own page."""

from __future__ import annotations

import reflex as rx

from reachimpact import routes
from reachimpact.components.badges import sentiment_badge, status_badge
from reachimpact.components.data_table import data_table, or_dash
from reachimpact.state.rows import CallRow

CALL_COLUMNS = ["When", "Contact", "Number", "Campaign", "Status", "Duration", "Sentiment"]


def _call(call: rx.Var[CallRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(call.when, href=f"{routes.CALLS}/" + call.id), white_space="nowrap"),
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
        rx.table.cell(or_dash(call.campaign)),
        rx.table.cell(status_badge(call.status), class_name="call-status"),
        rx.table.cell(or_dash(call.duration)),
        rx.table.cell(sentiment_badge(call.sentiment)),
        class_name="call-row",
        custom_attrs={"data-call-id": call.id},
    )


def call_table(calls: rx.Var[list[CallRow]]) -> rx.Component:
    return data_table(CALL_COLUMNS, calls, _call)


def live_heading(title: str, count: rx.Var[int]) -> rx.Component:
    """A section heading with the number of calls under way (a green dot while there are some)."""
    return rx.hstack(
        rx.heading(title, as_="h2", size="4"),
        rx.badge(
            rx.cond(
                count > 0,
                rx.box(width="8px", height="8px", border_radius="50%", background_color=rx.color("green", 9)),
                rx.fragment(),
            ),
            count,
            color_scheme=rx.cond(count > 0, "green", "gray"),
            variant="soft",
            radius="full",
            class_name="live-count",
        ),
        align="center",
        spacing="2",
    )
