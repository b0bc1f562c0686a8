"""The FastAPI app holding the JSON API and the Twilio webhooks, mounted into Reflex's backend."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from reachimpact.api import (
    auth,
    calls,
    campaigns,
    contacts,
    do_not_contact,
    health,
    jobs,
    me,
    members,
    webhooks,
)
from reachimpact.api.request_context import RequestContextMiddleware
from reachimpact.db import close_async_pool
from reachimpact.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, RateLimited, Unauthorized
from reachimpact.logging_setup import configure_logging

# One place turns domain errors into HTTP. Another organization's row is simply "not found".
_STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Forbidden: 403,
    Invalid: 422,
    Conflict: 409,
    Unauthorized: 401,
    RateLimited: 429,
}


def _domain_error_handler() -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        status_code = next(code for kind, code in _STATUS.items() if isinstance(exc, kind))
        headers: dict[str, str] = {}
        if isinstance(exc, Unauthorized):
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
        detail = "Not found." if isinstance(exc, NotFound) else str(exc)
        return JSONResponse({"detail": detail}, status_code=status_code, headers=headers)

    return handler


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
    )
    api.add_middleware(RequestContextMiddleware)
    handler = _domain_error_handler()
    for kind in _STATUS:
        api.add_exception_handler(kind, handler)
    # Webhooks first: Twilio's callbacks are the most frequent requests, and routes match in order.
    for module in (webhooks, health, auth, me, members, contacts, do_not_contact, jobs, campaigns, calls):
        api.include_router(module.router)
    return api
