"""Settings: the organization's settings, shown read-only until sign-in and roles exist."""

from __future__ import annotations

import reflex as rx

from reachimpact import routes
from reachimpact.components.empty_state import empty_state, when_loaded
from reachimpact.components.layout import template
from reachimpact.state.settings import SettingsState


def _organization() -> rx.Component:
    return rx.vstack(
        rx.card(
            rx.vstack(
                rx.heading("Organization", as_="h2", size="4"),
                rx.data_list.root(
                    rx.data_list.item(
                        rx.data_list.label("Name"), rx.data_list.value(SettingsState.organization_name)
                    ),
                    rx.data_list.item(
                        rx.data_list.label("Default region"),
                        rx.data_list.value(
                            rx.vstack(
                                rx.text(SettingsState.default_region),
                                rx.text(
                                    "Phone numbers written without a country code are read as this region's.",
                                    size="1",
                                    color_scheme="gray",
                                ),
                                spacing="1",
                            )
                        ),
                    ),
                    rx.data_list.item(
                        rx.data_list.label("Time zone"), rx.data_list.value(SettingsState.time_zone)
                    ),
                ),
                spacing="3",
            ),
            width="100%",
        ),
        rx.callout(
            "Your profile, password and signed-in sessions will be managed here once sign-in is available.",
            icon="info",
            color_scheme="gray",
            width="100%",
        ),
        width="100%",
        spacing="4",
    )


@template(route=routes.SETTINGS, title="Settings", on_load=SettingsState.load)
def settings() -> rx.Component:
    return when_loaded(
        SettingsState.loading,
        rx.cond(
            SettingsState.has_organization,
            _organization(),
            empty_state(
                "settings",
                "No organization yet",
                "Your organization's name, region and time zone will appear here.",
            ),
        ),
    )
