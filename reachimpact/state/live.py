"""Live pages: one LISTEN connection per backend process pushes call changes into the tabs that follow them.

A page state that shows calls as they happen (the Calls page, a campaign's page, a call's page) calls
`follow(...)` from its on_load handler, naming what it shows, and implements `async _live_refresh()`, which
re-reads that through `_as_user` (checking who is signed in, as every handler does). The listener
(`listen_for_changes`, a lifespan task of the app) LISTENs on the channels of services.live_changes, which
owns what is announced there and in what format; this module only fans the changes out. It gathers what
arrives within BATCH_SECONDS, then refreshes each tab that follows any of it once, through
`app.modify_state`, so a campaign placing ten calls a second costs each tab a few reads a second, not ten.

Nothing polls the database: the connection waits on its socket. Each process has its own listener and
its own followers (a tab's events run in the process that holds its websocket), so this works with any
number of app instances. A tab stops following when it goes to another page or disconnects.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import psycopg
import reflex as rx

from reachimpact.db import database_url, libpq_url
from reachimpact.services.live_changes import CHANNELS, Change, parse
from reachimpact.state.app import SignedOut

logger = logging.getLogger(__name__)

# Notifications arriving this close together refresh each tab once.
BATCH_SECONDS = 0.2
# How long the listener waits on a quiet channel before checking its connection is still there.
IDLE_SECONDS = 5.0
RECONNECT_SECONDS = 2.0


@dataclass(frozen=True)
class Interest:
    """What one tab shows: every call of its organization, or one campaign's, or one call."""

    organization_id: str
    campaign_id: str | None = None
    call_id: str | None = None

    def covers(self, change: Change) -> bool:
        if change.organization_id != self.organization_id:
            return False
        if self.call_id is not None:
            return change.call_id == self.call_id
        if self.campaign_id is not None:
            return change.campaign_id == self.campaign_id
        return True


@dataclass(frozen=True)
class _Follower:
    state_cls: type[rx.State]
    path: str  # the page it follows on; once the tab is elsewhere it stops
    interest: Interest


# Client token → what that tab follows. Only this process's tabs are here.
_followers: dict[str, _Follower] = {}


def follow(state: rx.State, interest: Interest) -> None:
    """Let the tab of `state` (a page state with `_live_refresh`) follow `interest` from now on."""
    _followers[state.router.session.client_token] = _Follower(type(state), state.router.url.path, interest)


async def _refresh(app: rx.App, token: str, follower: _Follower) -> None:
    async with app.modify_state(rx.BaseStateToken(ident=token, cls=follower.state_cls)) as root:
        state = await root.get_state(follower.state_cls)
        if state.router.url.path != follower.path:
            _followers.pop(token, None)
            return
        try:
            # Reads through the services in a worker thread (AppState._as_user): the other tabs go on.
            await state._live_refresh()  # type: ignore[attr-defined]
        except SignedOut:
            _followers.pop(token, None)


async def push(app: rx.App, changes: list[Change]) -> int:
    """Refresh every tab that follows any of `changes`; returns how many were refreshed."""
    connected = app.event_namespace.token_to_sid if app.event_namespace else {}
    refreshed = 0
    for token, follower in list(_followers.items()):
        if token not in connected:
            _followers.pop(token, None)
            continue
        if not any(follower.interest.covers(change) for change in changes):
            continue
        try:
            await _refresh(app, token, follower)
            refreshed += 1
        except Exception:
            # One tab's failure (e.g. its state expired) must not stop the others' updates.
            logger.exception("Could not refresh a live page")
            _followers.pop(token, None)
    return refreshed


async def _listen(app: rx.App) -> None:
    async with await psycopg.AsyncConnection.connect(libpq_url(database_url()), autocommit=True) as conn:
        for channel in CHANNELS:
            await conn.execute(f"LISTEN {channel}")
        logger.info("Listening on %s for live pages", ", ".join(CHANNELS))
        while True:
            # Wait for the first notification, then gather what follows it for a moment.
            arrived = [n async for n in conn.notifies(timeout=IDLE_SECONDS, stop_after=1)]
            if not arrived:
                await conn.execute("SELECT 1")  # a dropped connection shows itself here
                continue
            arrived += [n async for n in conn.notifies(timeout=BATCH_SECONDS)]
            changes = [change for n in arrived if (change := parse(n.payload)) is not None]
            if changes and _followers:
                await push(app, changes)


async def listen_for_changes(app: rx.App) -> None:
    """The app's lifespan task: listen for as long as the process runs, reconnecting after a failure."""
    while True:
        try:
            await _listen(app)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("The live-update listener lost its connection; reconnecting")
            await asyncio.sleep(RECONNECT_SECONDS)
