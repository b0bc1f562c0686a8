"""Sign in: email and password, then on to the page that asked for it."""

from __future__ import annotations

import reflex as rx

from reachimpact import routes
from reachimpact.components.auth_card import auth_card
from reachimpact.components.forms import form_error, labeled_input
from reachimpact.components.layout import APP_NAME
from reachimpact.state.auth import LoginState


@rx.page(route=routes.LOGIN, title=f"Sign in · {APP_NAME}", on_load=LoginState.load)
def login() -> rx.Component:
    return auth_card(
        "Sign in",
        rx.form(
            rx.vstack(
                form_error(LoginState.error),
                labeled_input(
                    "Email", "email", type="email", auto_complete="email", required=True, max_length=320
                ),
                labeled_input(
                    "Password",
                    "password",
                    type="password",
                    auto_complete="current-password",
                    required=True,
                    max_length=1024,
                ),
                rx.button("Sign in", type="submit", loading=LoginState.submitting, width="100%", size="3"),
                spacing="4",
                width="100%",
            ),
            on_submit=LoginState.sign_in,
            width="100%",
        ),
        rx.text(
            "New to ReachImpact? ",
            rx.link("Create an account", href=routes.REGISTER),
            size="2",
            color_scheme="gray",
        ),
    )
