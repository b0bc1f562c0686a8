"""The Reflex app: every page, the JSON API and webhooks, and the job queue's connection pool."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import reflex as rx

from reachimpact import pages  # noqa: F401 - importing registers every page
from reachimpact.api.app import create_api
from reachimpact.jobs import app as job_queue
from reachimpact.settings import require_startable_settings

require_startable_settings()

app = rx.App(api_transformer=create_api())


@asynccontextmanager
async def _job_queue_open() -> AsyncIterator[None]:
    # Routes and event handlers defer jobs through this pool; the worker is its own process.
    async with job_queue.open_async():
        yield


app.register_lifespan_task(_job_queue_open)
