"""The sign-in and sign-up pages: they start a session, then go on to the page the user asked for.

Checking and hashing a password takes bcrypt a quarter of a second: that work runs in a thread, so the
backend's event loop keeps serving everyone else meanwhile.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from reachimpact import routes
from reachimpact.errors import DomainError
from reachimpact.services import auth
from reachimpact.services.auth import TokenPair
from reachimpact.state.app import AppState, SignedOut
from reachimpact.state.forms import form_text, user_message


class _SignInPageState(AppState):
    """What the sign-in and sign-up pages share: a submit in progress, its error, and where to go next."""

    submitting: bool = False
    error: str = ""

    def _next_path(self) -> str:
        # Only a path on this site: see routes.safe_next.
        return routes.safe_next(self.router.url.query_parameters.get("next"))

    async def _already_signed_in(self) -> bool:
        """Whether this tab holds a live sign-in (renewing it if due), checked in a worker thread."""
        try:
            await self._signed_in()
        except SignedOut:
            return False
        return True

    async def _submit(self, start: Callable[[Session], TokenPair]) -> AsyncIterator[EventSpec | None]:
        self.error = ""
        self.submitting = True
        yield  # shows the button's spinner while the password is checked
        try:
            await self._start_session(start)
        except DomainError as error:
            # E.g. a wrong password or unknown email (the same words for both), or too many attempts.
            self.error = user_message(error)
            return
        finally:
            self.submitting = False
        yield rx.redirect(self._next_path())


class LoginState(_SignInPageState):
    @rx.event
    async def load(self) -> EventSpec | None:
        """Someone already signed in goes straight on."""
        self.error = ""
        self.submitting = False
        if await self._already_signed_in():
            return rx.redirect(self._next_path(), replace=True)
        return None

    @rx.event
    async def sign_in(self, form: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        email, password, client = form_text(form, "email"), form_text(form, "password"), self._client()
        async for update in self._submit(
            lambda session: auth.login(session, email=email, password=password, client=client)
        ):
            yield update


class RegisterState(_SignInPageState):
    # Opened from an invitation link (/register?invite=...): the new account joins that organization.
    invited: bool = False

    def _invite_token(self) -> str | None:
        return self.router.url.query_parameters.get("invite") or None

    @rx.event
    async def load(self) -> EventSpec | None:
        self.error = ""
        self.submitting = False
        self.invited = self._invite_token() is not None
        # With an invitation the form stays: it is how the invited person creates their account.
        if not self.invited and await self._already_signed_in():
            return rx.redirect(self._next_path(), replace=True)
        return None

    @rx.event
    async def register(self, form: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        name, email, password = form_text(form, "name"), form_text(form, "email"), form_text(form, "password")
        client, invite_token = self._client(), self._invite_token()
        async for update in self._submit(
            lambda session: auth.register(
                session, email=email, password=password, name=name, client=client, invite_token=invite_token
            )
        ):
            yield update
