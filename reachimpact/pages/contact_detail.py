"""One contact: their fields, custom fields and timeline of calls, messages and opt-outs."""

from __future__ import annotations

import reflex as rx

from reachimpact import routes
from reachimpact.components.badges import contact_badges, status_badge, tag_badges
from reachimpact.components.empty_state import empty_state, when_loaded
from reachimpact.components.layout import template
from reachimpact.state.contact_detail import ContactDetailState, CustomField
from reachimpact.state.rows import TimelineRow

_KIND_ICONS = {"call": "phone", "message": "message-square", "opt_out": "ban"}


def _back() -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon("arrow-left", size=16), "All contacts", align="center", spacing="1"),
        href=routes.CONTACTS,
        size="2",
    )


def _item(label: str, value: rx.Component | rx.Var[str]) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(label), rx.data_list.value(value))


def _text_or_dash(value: rx.Var[str]) -> rx.Component:
    return rx.cond(value != "", rx.text(value), rx.text("—", color_scheme="gray"))


def _custom_field(item: rx.Var[CustomField]) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(item.name), rx.data_list.value(item.value))


def _fields() -> rx.Component:
    contact = ContactDetailState.contact
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(rx.cond(contact.name != "", contact.name, contact.phone), as_="h2", size="5"),
                contact_badges(contact.opted_out, contact.do_not_contact),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            rx.data_list.root(
                _item("Phone", contact.phone),
                _item("Email", _text_or_dash(contact.email)),
                _item("Tags", rx.cond(contact.tags.length() > 0, tag_badges(contact.tags), rx.text("—"))),
                _item("Time zone", _text_or_dash(contact.time_zone)),
                _item("Opted out of", _text_or_dash(contact.opted_out)),
                _item(
                    "Do-not-contact list",
                    rx.cond(contact.do_not_contact, rx.text("Listed"), rx.text("Not listed")),
                ),
                _item("Notes", _text_or_dash(contact.notes)),
                rx.foreach(contact.custom_fields, _custom_field),
                _item("Added", contact.created),
                _item("Last changed", contact.updated),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        class_name="contact-fields",
    )


def _event(event: rx.Var[TimelineRow]) -> rx.Component:
    return rx.hstack(
        rx.box(
            rx.match(
                event.kind,
                *[(kind, rx.icon(icon, size=18)) for kind, icon in _KIND_ICONS.items()],
                rx.icon("circle", size=18),
            ),
            padding_top="2px",
        ),
        rx.vstack(
            rx.hstack(
                rx.text(event.title, weight="medium", size="2"),
                status_badge(event.status),
                align="center",
                spacing="2",
            ),
            rx.cond(event.detail != "", rx.text(event.detail, size="2")),
            rx.text(event.when, size="1", color_scheme="gray"),
            spacing="1",
        ),
        align="start",
        spacing="3",
        padding_y="0.5em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        class_name="timeline-event",
    )


def _timeline() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Timeline", as_="h2", size="4"),
            rx.cond(
                ContactDetailState.timeline.length() > 0,
                rx.vstack(rx.foreach(ContactDetailState.timeline, _event), spacing="0", width="100%"),
                rx.text("No calls, messages or opt-outs yet.", size="2", color_scheme="gray"),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        class_name="timeline",
    )


@template(route=routes.CONTACT_DETAIL, title="Contact", on_load=ContactDetailState.load)
def contact_detail() -> rx.Component:
    return rx.vstack(
        _back(),
        when_loaded(
            ContactDetailState.loading,
            rx.cond(
                ContactDetailState.problem != "",
                empty_state("user-x", "Contact not found", ContactDetailState.problem),
                rx.vstack(_fields(), _timeline(), spacing="4", width="100%"),
            ),
        ),
        spacing="4",
        width="100%",
    )
