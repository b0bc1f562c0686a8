"""Contacts: the most recently added contacts."""

from __future__ import annotations

import reflex as rx

from reachimpact import routes
from reachimpact.components.badges import opted_out_badge, tag_badges
from reachimpact.components.data_table import data_table, or_dash
from reachimpact.components.empty_state import empty_state, when_loaded
from reachimpact.components.layout import template
from reachimpact.state.contacts import ContactsState
from reachimpact.state.rows import ContactRow


def _contact(contact: rx.Var[ContactRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.hstack(rx.text(contact.name), opted_out_badge(contact.opted_out), align="center")),
        rx.table.cell(contact.phone, white_space="nowrap"),
        rx.table.cell(or_dash(contact.email)),
        rx.table.cell(tag_badges(contact.tags)),
    )


def _contact_list() -> rx.Component:
    return rx.vstack(
        rx.text(
            rx.cond(
                ContactsState.total > ContactsState.contacts.length(),
                f"The {ContactsState.contacts.length()} most recent of {ContactsState.total} contacts",
                f"{ContactsState.total} contacts",
            ),
            color_scheme="gray",
            size="2",
            class_name="contacts-total",
        ),
        data_table(["Name", "Phone", "Email", "Tags"], ContactsState.contacts, _contact),
        width="100%",
        spacing="3",
    )


@template(route=routes.CONTACTS, title="Contacts", on_load=ContactsState.load)
def contacts() -> rx.Component:
    return when_loaded(
        ContactsState.loading,
        rx.cond(
            ContactsState.contacts.length() > 0,
            _contact_list(),
            empty_state("users", "No contacts yet", "Contacts you add or import will appear here."),
        ),
    )
