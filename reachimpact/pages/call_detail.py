"""One call: who and when, how it went, the timeline of what Twilio reported, recording and transcript."""

from __future__ import annotations

import reflex as rx

from reachimpact import routes
from reachimpact.components.badges import sentiment_badge, status_badge
from reachimpact.components.data_table import or_dash
from reachimpact.components.empty_state import empty_state, when_loaded
from reachimpact.components.layout import template
from reachimpact.components.section import section
from reachimpact.state.call_detail import CallDetailState, CallEventRow

_KIND_ICONS = {
    "status": "activity",
    "voice": "volume-2",
    "gather": "grid-3x3",
    "amd": "bot",
    "recording": "mic",
}


def _back() -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon("arrow-left", size=16), "All calls", align="center", spacing="1"),
        href=routes.CALLS,
        size="2",
    )


def _item(label: str, value: rx.Component) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(label), rx.data_list.value(value))


def _facts() -> rx.Component:
    call = CallDetailState.call
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(rx.cond(call.contact != "", call.contact, call.to_number), as_="h2", size="5"),
                rx.box(status_badge(call.status), class_name="call-status"),
                rx.cond(call.live, rx.badge("Live", color_scheme="green", variant="solid")),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            rx.data_list.root(
                _item(
                    "Contact",
                    rx.cond(
                        call.contact_id != "",
                        rx.link(call.contact, href=f"{routes.CONTACTS}/" + call.contact_id),
                        rx.text("Unknown"),
                    ),
                ),
                _item(
                    "Campaign",
                    rx.cond(
                        call.campaign_id != "",
                        rx.link(call.campaign, href=f"{routes.CAMPAIGNS}/" + call.campaign_id),
                        rx.text("—", color_scheme="gray"),
                    ),
                ),
                _item("Direction", rx.text(call.direction)),
                _item("From", rx.text(call.from_number)),
                _item("To", rx.text(call.to_number)),
                _item("Started", or_dash(call.started)),
                _item("Answered", or_dash(call.answered)),
                _item("Ended", or_dash(call.ended)),
                _item("Duration", or_dash(call.duration)),
                _item("Answered by", or_dash(call.answered_by)),
                _item("Outcome", or_dash(call.outcome)),
                _item("Error code", or_dash(call.error_code)),
                _item("Sentiment", sentiment_badge(call.sentiment)),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        class_name="call-facts",
    )


def _recording() -> rx.Component:
    url = CallDetailState.call.recording_url
    return section(
        "Recording",
        rx.cond(
            url != "",
            rx.vstack(
                rx.el.audio(src=url, controls=True, preload="none", width="100%"),
                rx.link("Open the recording", href=url, is_external=True, size="2"),
                spacing="2",
                width="100%",
            ),
            rx.text(
                "This call was not recorded, or its recording is not ready yet.",
                size="2",
                color_scheme="gray",
            ),
        ),
    )


def _transcript() -> rx.Component:
    call = CallDetailState.call
    return section(
        "Transcript",
        rx.cond(
            call.transcript != "",
            rx.text(call.transcript, size="2", white_space="pre-wrap", class_name="transcript"),
            rx.text("No transcript for this call.", size="2", color_scheme="gray"),
        ),
        rx.cond(
            call.summary != "",
            rx.vstack(
                rx.text("Summary", weight="medium", size="2"),
                rx.text(call.summary, size="2"),
                spacing="1",
            ),
        ),
    )


def _event(event: rx.Var[CallEventRow]) -> rx.Component:
    return rx.hstack(
        rx.match(
            event.kind,
            *[(kind, rx.icon(icon, size=16)) for kind, icon in _KIND_ICONS.items()],
            rx.icon("circle", size=16),
        ),
        rx.text(event.label, size="2", weight="medium"),
        rx.spacer(),
        rx.text(event.when, size="1", color_scheme="gray", white_space="nowrap"),
        align="center",
        spacing="3",
        padding_y="0.4em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        class_name="call-event",
    )


def _timeline() -> rx.Component:
    return section(
        "Timeline",
        rx.cond(
            CallDetailState.call.events.length() > 0,
            rx.vstack(rx.foreach(CallDetailState.call.events, _event), spacing="0", width="100%"),
            rx.text(
                rx.cond(
                    CallDetailState.call.live,
                    "Nothing reported about this call yet.",
                    "No provider events were kept for this call.",
                ),
                size="2",
                color_scheme="gray",
            ),
        ),
    )


@template(route=routes.CALL_DETAIL, title="Call", on_load=CallDetailState.load)
def call_detail() -> rx.Component:
    return rx.vstack(
        _back(),
        when_loaded(
            CallDetailState.loading,
            rx.cond(
                CallDetailState.problem != "",
                empty_state("phone-off", "Call not found", CallDetailState.problem),
                rx.grid(
                    rx.vstack(_facts(), _recording(), spacing="4", width="100%"),
                    rx.vstack(_timeline(), _transcript(), spacing="4", width="100%"),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="4",
                    width="100%",
                ),
            ),
        ),
        spacing="4",
        width="100%",
    )
