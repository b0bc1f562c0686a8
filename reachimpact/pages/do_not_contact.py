"""The do-not-contact list: add a number, import a CSV of numbers, take a number off the list."""

from __future__ import annotations

import reflex as rx

from reachimpact import routes
from reachimpact.components.confirm import confirm
from reachimpact.components.csv_upload import csv_drop_zone
from reachimpact.components.data_table import data_table, or_dash
from reachimpact.components.empty_state import empty_state, when_loaded
from reachimpact.components.forms import form_error, labeled_input
from reachimpact.components.layout import template
from reachimpact.components.section import section
from reachimpact.state.do_not_contact import CHANNELS, LIST_LIMIT, UPLOAD_ID, DoNotContactState
from reachimpact.state.rows import DoNotContactRow, RejectedLine


def _add_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            form_error(DoNotContactState.add_error),
            rx.hstack(
                rx.box(labeled_input("Phone", "phone", required=True, max_length=64, type="tel"), flex="1"),
                rx.vstack(
                    rx.el.label(rx.text("Channel", size="2", weight="medium"), html_for="field-channel"),
                    rx.select.root(
                        rx.select.trigger(id="field-channel"),
                        rx.select.content(
                            *[
                                rx.select.item(label.capitalize(), value=value)
                                for value, label in CHANNELS.items()
                            ]
                        ),
                        default_value="all",
                        name="channel",
                    ),
                    spacing="1",
                ),
                rx.box(labeled_input("Reason", "reason", max_length=500), flex="1"),
                rx.button("Add to the list", type="submit", loading=DoNotContactState.adding),
                align="end",
                spacing="3",
                width="100%",
                wrap="wrap",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=DoNotContactState.add,
        width="100%",
    )


def _rejected(line: rx.Var[RejectedLine]) -> rx.Component:
    return rx.table.row(rx.table.cell(line.line), rx.table.cell(line.reason))


def _import() -> rx.Component:
    return rx.vstack(
        csv_drop_zone(UPLOAD_ID, "Drop a CSV file with a phone column here, or click to choose one"),
        rx.button(
            "Import numbers",
            on_click=DoNotContactState.import_numbers(rx.upload_files(upload_id=UPLOAD_ID)),
            loading=DoNotContactState.importing,
            variant="soft",
        ),
        form_error(DoNotContactState.import_error),
        rx.cond(
            DoNotContactState.import_summary != "",
            rx.callout(
                DoNotContactState.import_summary,
                icon="circle-check",
                color_scheme="green",
                role="status",
                width="100%",
                class_name="numbers-import-summary",
            ),
        ),
        rx.cond(
            DoNotContactState.rejected_lines.length() > 0,
            rx.vstack(
                rx.cond(
                    DoNotContactState.rejected_total > DoNotContactState.rejected_lines.length(),
                    rx.text(
                        f"The first {DoNotContactState.rejected_lines.length()} of "
                        f"{DoNotContactState.rejected_total} rejected lines:",
                        size="2",
                    ),
                    rx.text("Rejected lines:", size="2"),
                ),
                data_table(["Line", "Reason"], DoNotContactState.rejected_lines, _rejected),
                spacing="2",
                width="100%",
            ),
        ),
        spacing="3",
        width="100%",
    )


def _entry(row: rx.Var[DoNotContactRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.phone, white_space="nowrap"),
        rx.table.cell(
            rx.match(row.channel, *[(value, label) for value, label in CHANNELS.items()], row.channel)
        ),
        rx.table.cell(row.source),
        rx.table.cell(or_dash(row.reason)),
        rx.table.cell(row.added, white_space="nowrap"),
        rx.table.cell(
            confirm(
                rx.button(
                    "Remove", color_scheme="red", variant="soft", size="1", aria_label=f"Remove {row.phone}"
                ),
                "Take this number off the list?",
                f"{row.phone} may then be called and texted again.",
                "Remove",
                DoNotContactState.remove(row.id),
            )
        ),
    )


def _list() -> rx.Component:
    return rx.vstack(
        rx.input(
            rx.input.slot(rx.icon("search", size=16)),
            placeholder="Search by digits",
            default_value=DoNotContactState.query,
            on_change=DoNotContactState.search.debounce(300),
            type="search",
            aria_label="Search numbers",
            max_length=64,
            width="16em",
        ),
        rx.cond(
            DoNotContactState.entries.length() > 0,
            rx.vstack(
                data_table(
                    ["Number", "Applies to", "Source", "Reason", "Added", ""],
                    DoNotContactState.entries,
                    _entry,
                ),
                rx.cond(
                    DoNotContactState.more_than_shown,
                    rx.text(
                        f"The {LIST_LIMIT} most recent entries are shown; search to find others.",
                        size="1",
                        color_scheme="gray",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            empty_state(
                "phone-off",
                "No numbers on the list",
                "Numbers added here, imported, or opted out by text or keypress are never called or texted.",
            ),
        ),
        rx.cond(
            ~DoNotContactState.can_manage,
            rx.text("Only owners and admins can take numbers off the list.", size="1", color_scheme="gray"),
        ),
        spacing="3",
        width="100%",
    )


@template(
    route=routes.DO_NOT_CONTACT,
    title="Do-not-contact list",
    on_load=DoNotContactState.load,
    description="Numbers the organization never calls or texts, whoever's contact they are.",
)
def do_not_contact() -> rx.Component:
    return rx.vstack(
        rx.link(
            rx.hstack(rx.icon("arrow-left", size=16), "All contacts", align="center", spacing="1"),
            href=routes.CONTACTS,
            size="2",
        ),
        when_loaded(
            DoNotContactState.loading,
            rx.vstack(
                section("Add a number", _add_form()),
                section(
                    "Import numbers",
                    _import(),
                    description="Every number in the file's phone column is added; bad lines are listed.",
                ),
                section("The list", _list()),
                spacing="4",
                width="100%",
            ),
        ),
        spacing="4",
        width="100%",
    )
