"""Sign up: a new account with its own organization, or joining one through an invitation link."""

from __future__ import annotations

import reflex as rx

from reachimpact import routes
from reachimpact.components.auth_card import auth_card
from reachimpact.components.forms import form_error, labeled_input
from reachimpact.components.layout import APP_NAME
from reachimpact.services.passwords import MIN_LENGTH
from reachimpact.state.auth import RegisterState


@rx.page(route=routes.REGISTER, title=f"Create an account · {APP_NAME}", on_load=RegisterState.load)
def register() -> rx.Component:
    return auth_card(
        "Create an account",
        rx.cond(
            RegisterState.invited,
            rx.callout(
                "You were invited to join an organization. Sign up with the email address the invitation "
                "was sent to.",
                icon="mail",
                color_scheme="indigo",
                width="100%",
            ),
        ),
        rx.form(
            rx.vstack(
                form_error(RegisterState.error),
                labeled_input("Name", "name", auto_complete="name", required=True, max_length=200),
                labeled_input(
                    "Email", "email", type="email", auto_complete="email", required=True, max_length=320
                ),
                labeled_input(
                    "Password",
                    "password",
                    type="password",
                    auto_complete="new-password",
                    required=True,
                    max_length=1024,
                    hint=f"At least {MIN_LENGTH} characters.",
                ),
                rx.button(
                    "Create account", type="submit", loading=RegisterState.submitting, width="100%", size="3"
                ),
                spacing="4",
                width="100%",
            ),
            on_submit=RegisterState.register,
            width="100%",
        ),
        rx.text(
            "Already have an account? ",
            rx.link("Sign in", href=routes.LOGIN),
            size="2",
            color_scheme="gray",
        ),
    )
