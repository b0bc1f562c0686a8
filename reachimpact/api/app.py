"""The FastAPI app holding the JSON API and the Twilio webhooks, mounted into Reflex's backend."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from reachimpact.api import (
    auth,
    calls,
    campaigns,
    contacts,
    do_not_contact,
    errors,
    health,
    jobs,
    me,
    members,
    webhooks,
)
from reachimpact.api.input_limits import InputLimitsMiddleware
from reachimpact.api.request_context import RequestContextMiddleware
from reachimpact.db import close_async_pool
from reachimpact.logging_setup import configure_logging


@asynccontextmanager
async def api_lifespan(app: Any) -> AsyncIterator[None]:
    """Start-up and shut-down of the API, run by FastAPI alone (tests, benches) and by Reflex (which
    does not run the lifespan of the app it mounts: reachimpact.py registers this one)."""
    # What start-up built lives as long as the process: out of the collector's sight, a full collection
    # no longer walks it (~100 ms, stalling every callback in flight: measured by bench/webhooks.py).
    gc.freeze()
    yield
    gc.unfreeze()  # left frozen, objects are torn down at exit in an order Reflex's finalizers fail on
    await close_async_pool()  # the async pool of the loop that served the webhooks


def create_api() -> FastAPI:
    configure_logging()
    api = FastAPI(
        lifespan=api_lifespan,
        title="ReachImpact API",
        version="0.1.0",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
        responses=errors.RESPONSES,
    )
    # The request context is the outer one (added last): a body refused for its size has a request id.
    api.add_middleware(InputLimitsMiddleware)
    api.add_middleware(RequestContextMiddleware)
    for kind in errors.STATUS:
        api.add_exception_handler(kind, errors.domain_error)
    api.add_exception_handler(RequestValidationError, errors.validation_error)
    api.add_exception_handler(StarletteHTTPException, errors.http_error)
    # Webhooks first: Twilio's callbacks are the most frequent requests, and routes match in order.
    for module in (webhooks, health, auth, me, members, contacts, do_not_contact, jobs, campaigns, calls):
        api.include_router(module.router)
    return api
