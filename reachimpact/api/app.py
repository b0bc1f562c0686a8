"""The FastAPI app holding the JSON API and the Twilio webhooks, mounted into Reflex's backend."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from reachimpact.api import health, jobs
from reachimpact.api.request_context import RequestContextMiddleware
from reachimpact.errors import Forbidden, Invalid, NotFound
from reachimpact.logging_setup import configure_logging


def _domain_error(status_code: int, detail: str | None = None):  # noqa: ANN202 - a handler factory
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": detail or str(exc)}, status_code=status_code)

    return handler


def create_api() -> FastAPI:
    configure_logging()
    api = FastAPI(
        title="ReachImpact API",
        version="0.1.0",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    api.add_middleware(RequestContextMiddleware)
    # One place turns domain errors into HTTP: another organization's row is simply "not found".
    api.add_exception_handler(NotFound, _domain_error(404, "Not found."))
    api.add_exception_handler(Forbidden, _domain_error(403))
    api.add_exception_handler(Invalid, _domain_error(422))
    api.include_router(health.router)
    api.include_router(jobs.router)
    return api
