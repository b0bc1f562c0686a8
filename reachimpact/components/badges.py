"""Small coloured labels for statuses, sentiment, tags, opt-outs and the do-not-contact list."""

from __future__ import annotations

import reflex as rx

# Twilio's call and message statuses and our campaign statuses, grouped by what they mean to a reader.
_GOOD = ("completed", "delivered", "received", "read", "running", "sent", "positive")
_BAD = ("failed", "undelivered", "canceled", "stopped", "negative")
_MISSED = ("busy", "no-answer", "paused")
_UNDER_WAY = ("queued", "initiated", "ringing", "in-progress", "accepted", "sending")


def _color_for(value: rx.Var[str]) -> rx.Var[str]:
    return rx.match(
        value,
        (*_GOOD, "green"),
        (*_BAD, "red"),
        (*_MISSED, "amber"),
        (*_UNDER_WAY, "blue"),
        "gray",
    )


def status_badge(status: rx.Var[str]) -> rx.Component:
    return rx.badge(status, color_scheme=_color_for(status), variant="soft", radius="full")


def sentiment_badge(sentiment: rx.Var[str]) -> rx.Component:
    """Nothing at all when there is no sentiment (the call was not analysed)."""
    return rx.cond(
        sentiment != "",
        rx.badge(sentiment, color_scheme=_color_for(sentiment), variant="outline", radius="full"),
        rx.text("—", color_scheme="gray"),
    )


def tag_badges(tags: rx.Var[list[str]]) -> rx.Component:
    return rx.flex(
        rx.foreach(tags, lambda tag: rx.badge(tag, variant="surface", color_scheme="gray")),
        gap="1",
        wrap="wrap",
    )


def opted_out_badge(opted_out: rx.Var[bool]) -> rx.Component:
    return rx.cond(opted_out, rx.badge("Opted out", color_scheme="red", variant="soft"), rx.fragment())


def contact_badges(opted_out: rx.Var[str], do_not_contact: rx.Var[bool]) -> rx.Component:
    """Marks a contact the dialer and messaging will skip."""
    return rx.fragment(
        rx.cond(
            opted_out != "",
            rx.badge("Opted out", color_scheme="red", variant="soft", title=f"Opted out of {opted_out}"),
        ),
        rx.cond(do_not_contact, rx.badge("Do not contact", color_scheme="red", variant="solid")),
    )
