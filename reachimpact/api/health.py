"""GET /api/health: whether this instance can serve (used by Fly's health check)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from reachimpact.db import ping

router = APIRouter(tags=["health"])


@router.get("/api/health")
async def health() -> JSONResponse:
    database_ok = await run_in_threadpool(ping)
    return JSONResponse(
        {"status": "ok" if database_ok else "unavailable", "database": "ok" if database_ok else "down"},
        status_code=200 if database_ok else 503,
    )
