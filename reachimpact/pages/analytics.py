"""Analytics: how the calls of the last 30 days ended."""

from __future__ import annotations

from typing import Any

import reflex as rx

from reachimpact import routes
from reachimpact.components.badges import status_badge
from reachimpact.components.data_table import data_table
from reachimpact.components.empty_state import empty_state, when_loaded
from reachimpact.components.layout import template
from reachimpact.state.analytics import AnalyticsState
from reachimpact.state.rows import StatusCountRow


def _chart() -> rx.Component:
    return rx.card(
        rx.recharts.bar_chart(
            rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
            rx.recharts.x_axis(data_key="status"),
            rx.recharts.y_axis(allow_decimals=False),
            rx.recharts.graphing_tooltip(),
            rx.recharts.bar(data_key="calls", name="Calls", fill=rx.color("accent", 9), radius=[4, 4, 0, 0]),
            # Recharts reads rows as plain objects; the rows are dataclasses that serialize to just that.
            data=AnalyticsState.calls_by_status.to(list[dict[str, Any]]),
            width="100%",
            height=280,
        ),
        width="100%",
    )


def _status_count(row: rx.Var[StatusCountRow]) -> rx.Component:
    return rx.table.row(rx.table.cell(status_badge(row.status)), rx.table.cell(row.calls))


def _calls_by_status() -> rx.Component:
    return rx.vstack(
        rx.heading("Calls by status, last 30 days", as_="h2", size="4"),
        rx.text(f"{AnalyticsState.total_calls} calls", color_scheme="gray", size="2"),
        _chart(),
        data_table(["Status", "Calls"], AnalyticsState.calls_by_status, _status_count),
        width="100%",
        spacing="3",
    )


@template(route=routes.ANALYTICS, title="Analytics", on_load=AnalyticsState.load)
def analytics() -> rx.Component:
    return when_loaded(
        AnalyticsState.loading,
        rx.cond(
            AnalyticsState.total_calls > 0,
            _calls_by_status(),
            empty_state(
                "chart-bar", "No calls in the last 30 days", "How your calls end will be charted here."
            ),
        ),
    )
