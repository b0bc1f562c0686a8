"""The time zone names this machine knows, offered as suggestions to a text input (`list=` the id)."""

from __future__ import annotations

from zoneinfo import available_timezones

import reflex as rx

TIME_ZONE_CHOICES = "time-zone-choices"


def time_zone_choices() -> rx.Component:
    return rx.el.datalist(
        *[rx.el.option(value=name) for name in sorted(available_timezones())], id=TIME_ZONE_CHOICES
    )
