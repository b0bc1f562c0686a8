"""The Reflex app: every page, the JSON API and webhooks, the job queue's connection pool, and the
listener that pushes call changes into live pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import reflex as rx

from reachimpact import jobs, pages  # noqa: F401 - importing pages registers every page
from reachimpact.api.app import api_lifespan, create_api
from reachimpact.settings import require_startable_settings
from reachimpact.state.live import listen_for_changes

require_startable_settings()

app = rx.App(api_transformer=create_api())


@asynccontextmanager
async def _job_queue_open() -> AsyncIterator[None]:
    # Routes and event handlers defer jobs through this pool; the worker is its own process.
    async with jobs.app.open_async():
        yield


app.register_lifespan_task(_job_queue_open)
app.register_lifespan_task(api_lifespan)
app.register_lifespan_task(listen_for_changes)
