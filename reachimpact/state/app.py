"""The base of every page state: who is signed in, checked again by every event that touches data.

The refresh token is kept in the browser's localStorage, shared by its tabs (a rotation made in one
tab reaches the others) and surviving reloads. The access token stays in this state's backend-only
vars and never reaches the browser. A redirect to the sign-in page protects nothing by itself: every
handler that reads or writes data is a `@signed_in_event` and reaches the services only through
`_as_user(...)`, which checks who is signed in against the database first and refuses without one.

    @signed_in_event
    async def delete(self):
        await self._as_user(lambda session, principal: campaigns.delete_campaign(session, principal, cid))
        yield rx.toast.success("Deleted.")

Both the check and the service call run in a worker thread: the event loop serves the other tabs meanwhile.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from reachimpact import routes
from reachimpact.db import session_scope
from reachimpact.errors import DomainError, Unauthorized
from reachimpact.services import accounts, auth, overview
from reachimpact.services.auth import Client, Principal, TokenPair
from reachimpact.state.forms import user_message
from reachimpact.state.rows import zone

# Renew the access token this long before it lapses, so no event runs on one that expires mid-way.
RENEW_BEFORE_EXPIRY_SECONDS = 120
REFRESH_TOKEN_STORAGE_KEY = "reachimpact.refresh_token"

T = TypeVar("T")


class SignedOut(Exception):
    """Nobody is signed in in this tab (any more): the event must not touch data."""


def signed_in(session: Session, pair: TokenPair) -> tuple[Principal, accounts.Profile]:
    """Who a freshly issued token pair signs in, and their profile (for the sidebar)."""
    principal = auth.authenticate(session, pair.access_token)
    return principal, accounts.get_profile(session, principal)


def fresh_tab_at(path: str) -> EventSpec:
    """Load `path` in a fresh tab state: a full page load under a new Reflex client token.

    Used whenever a sign-in ends. Page states of the signed-out user (their contacts, calls...) live
    under the tab's client token, in the backend and in the page's memory; dropping the token (kept in
    sessionStorage) and reloading leaves none of it for whoever signs in next in this tab.
    """
    return rx.call_script(f"window.sessionStorage.clear(); window.location.replace({json.dumps(path)})")


class AppState(rx.State):
    """The signed-in user of this tab; every page state derives from it."""

    # Client-visible by necessity: the browser must keep it across reloads and share it between tabs.
    refresh_token: str = rx.LocalStorage("", name=REFRESH_TOKEN_STORAGE_KEY, sync=True)
    # The signed-in user's own name, organization and role, for the sidebar and top bar.
    user_name: str = ""
    organization_name: str = ""
    role: str = ""

    # Backend-only: the browser never sees the access token.
    _access_token: str = ""
    _access_token_renew_at: float = 0.0

    def _principal(self) -> Principal | None:
        """Who is acting, checked against the database now (session live, still a member, current role).

        Renews the access token silently when it is missing or about to expire (rotating the refresh
        token, which goes back to localStorage). Without a valid token of either kind the tab is signed
        out and None is returned. Blocking: page states reach it only through `_signed_in` and
        `_as_user`, which run it in a worker thread and raise SignedOut for None.
        """
        with session_scope() as session:
            if self._access_token and time.time() < self._access_token_renew_at:
                try:
                    return auth.authenticate(session, self._access_token)
                except Unauthorized:
                    pass  # e.g. the session was revoked: the refresh below fails the same way
            if self.refresh_token:
                try:
                    pair = auth.refresh(session, refresh_token=self.refresh_token)
                except Unauthorized:
                    pass
                else:
                    principal, profile = signed_in(session, pair)
                    self._hold_tokens(pair, profile)
                    return principal
        self._forget_tokens()
        return None

    async def _signed_in(self) -> Principal:
        """Who is acting, checked in a worker thread (see `_principal`); SignedOut when nobody is."""
        principal = await asyncio.to_thread(self._principal)
        if principal is None:
            raise SignedOut
        return principal

    async def _as_user(self, work: Callable[[Session, Principal], T]) -> T:
        """`work(session, principal)` as the signed-in user, in a worker thread, in one transaction.

        The principal is checked first, in its own transaction: a token rotated by the check stays
        rotated even when the work fails. SignedOut when nobody is signed in; the work's DomainError
        propagates (a `@signed_in_event` shows it as a toast).
        """

        def run() -> T:
            principal = self._principal()
            if principal is None:
                raise SignedOut
            with session_scope() as session:
                return work(session, principal)

        return await asyncio.to_thread(run)

    def _hold_tokens(self, pair: TokenPair, profile: accounts.Profile) -> None:
        """Keep a fresh token pair (from sign-in or refresh) and show whose it is."""
        self._access_token = pair.access_token
        self._access_token_renew_at = time.time() + pair.expires_in - RENEW_BEFORE_EXPIRY_SECONDS
        self.refresh_token = pair.refresh_token
        self._show_identity(profile)

    def _show_identity(self, profile: accounts.Profile) -> None:
        self.user_name = profile.name
        self.organization_name = profile.organization_name
        self.role = profile.role.value

    def _forget_tokens(self) -> None:
        self._access_token = ""
        self._access_token_renew_at = 0.0
        self.refresh_token = ""
        self.user_name = self.organization_name = self.role = ""

    def _sign_in_redirect(self) -> EventSpec:
        """To the sign-in page, which comes back here afterwards."""
        url = self.router.url
        here = url.path + (f"?{url.query}" if url.query else "")
        return fresh_tab_at(routes.login_url(here))

    def _organization_zone(self, session: Session, principal: Principal) -> ZoneInfo:
        """The time zone the principal's organization reads its times in."""
        profile = overview.organization_profile(session, organization_id=principal.organization_id)
        return zone(profile.time_zone if profile else "UTC")

    def _client(self) -> Client:
        """The browser signing in, for the list of sessions and the per-address attempt limit."""
        return Client.from_request(self.router.headers.raw_headers, self.router.session.client_ip)

    async def _start_session(self, start: Callable[[Session], TokenPair]) -> None:
        """Sign in with `start` (login or register) in a worker thread, and hold the new tokens.

        The session this browser held before (if any) ends in the same transaction, so it does not
        linger. The start's DomainError (a wrong password, too many attempts...) propagates.
        """
        previous = self.refresh_token

        def begin() -> tuple[TokenPair, accounts.Profile]:
            with session_scope() as session:
                pair = start(session)
                if previous:
                    auth.logout(session, refresh_token=previous)
                _, profile = signed_in(session, pair)
                return pair, profile

        pair, profile = await asyncio.to_thread(begin)
        self._hold_tokens(pair, profile)

    @rx.event
    async def logout(self) -> EventSpec:
        """End this sign-in everywhere it is used (every tab of this browser) and go to the sign-in page."""
        if refresh_token := self.refresh_token:

            def end() -> None:
                with session_scope() as session:
                    auth.logout(session, refresh_token=refresh_token)

            await asyncio.to_thread(end)
        self._forget_tokens()
        return fresh_tab_at(routes.LOGIN)


def signed_in_event(handler: Callable[..., Any]) -> Any:
    """Register `handler` (an async method or async generator of a page state) as an event that touches
    data through `_as_user` / `_signed_in`.

    When nobody is signed in the event ends with the sign-in page; a DomainError that the handler does
    not catch itself ends it with the error's words in a toast. Whatever the handler yields or returns
    reaches the browser as usual.
    """
    if not (inspect.iscoroutinefunction(handler) or inspect.isasyncgenfunction(handler)):
        raise TypeError(f"{handler.__qualname__} must be async: its service calls run off the event loop")

    @functools.wraps(handler)
    async def event(self: AppState, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        try:
            if inspect.isasyncgenfunction(handler):
                async for update in handler(self, *args, **kwargs):
                    yield update
            else:
                yield await handler(self, *args, **kwargs)
        except SignedOut:
            yield self._sign_in_redirect()
        except DomainError as error:
            yield rx.toast.error(user_message(error))

    return rx.event(event)
