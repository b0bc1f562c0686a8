"""A plain table: column headers over rows rendered from a list var."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx


def data_table(
    headers: Sequence[str], rows: rx.Var[list[Any]], render_row: Callable[[Any], rx.Component]
) -> rx.Component:
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
        rx.table.body(rx.foreach(rows, render_row)),
        variant="surface",
        size="2",
        width="100%",
    )


def or_dash(value: rx.Var[str]) -> rx.Component:
    """A cell's text, or a muted dash when there is none (so an empty cell never looks like a glitch)."""
    return rx.cond(value != "", rx.text(value), rx.text("—", color_scheme="gray"))
