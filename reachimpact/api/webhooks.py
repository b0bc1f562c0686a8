"""Twilio's callbacks: POST only, signature-checked against PUBLIC_BASE_URL + path (+ query).

A missing or forged X-Twilio-Signature is answered 403 before anything is read into the database.
The handlers (services.call_events) are idempotent and never move a call's status backwards, so
Twilio's retries and reordering are harmless; slow work (AI analysis, acting on a machine) is queued.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from reachimpact.api.input_limits import NUL
from reachimpact.db import session_scope
from reachimpact.errors import Forbidden, Invalid
from reachimpact.services import call_events
from reachimpact.services.telephony import signatures
from reachimpact.services.telephony.urls import (
    AMD_PATH,
    GATHER_PATH,
    RECORDING_PATH,
    STATUS_PATH,
    VOICE_PATH,
    public_url,
)

router = APIRouter(tags=["webhooks"])
TWIML = "application/xml"


async def _signed_fields(request: Request) -> tuple[uuid.UUID | None, dict[str, str]]:
    """Our call id from the query, and the form fields — only when the signature is Twilio's."""
    body = (await request.body()).decode("utf-8", errors="replace")
    pairs = parse_qsl(body, keep_blank_values=True)
    query = request.url.query
    if not signatures.is_valid(
        public_url(request.url.path + (f"?{query}" if query else "")),
        pairs,
        request.headers.get(signatures.SIGNATURE_HEADER),
    ):
        raise Forbidden("The request is not signed by Twilio.")
    # Our own call id, put in every callback URL we give Twilio (see services.telephony.urls).
    raw_id = request.query_params.get("call_id")
    try:
        call_id = uuid.UUID(raw_id) if raw_id else None
    except ValueError:
        raise Invalid("call_id is not a call id.") from None
    # PostgreSQL cannot store a NUL: drop it and keep the rest (a retried callback must not fail for ever).
    return call_id, {name.replace(NUL, ""): value.replace(NUL, "") for name, value in pairs}


async def _run(handler: Callable[..., Any], request: Request) -> Any:
    # Plain Request parameters rather than FastAPI dependencies: this is the busiest route of the
    # app (several deliveries per call) and dependency resolution costs more than the work itself.
    call_id, fields = await _signed_fields(request)

    def work() -> Any:
        with session_scope() as session:
            return handler(session, call_id=call_id, fields=fields)

    return await run_in_threadpool(work)


@router.post(STATUS_PATH, status_code=204)
async def voice_status(request: Request) -> Response:
    # The busiest route: one statement on the async pool, no thread hop, no ORM (see the service).
    call_id, fields = await _signed_fields(request)
    await call_events.handle_status_async(call_id=call_id, fields=fields)
    return Response(status_code=204)


@router.post(VOICE_PATH)
async def voice(request: Request) -> Response:
    return Response(await _run(call_events.handle_voice, request), media_type=TWIML)


@router.post(GATHER_PATH)
async def gather(request: Request) -> Response:
    return Response(await _run(call_events.handle_gather, request), media_type=TWIML)


@router.post(RECORDING_PATH, status_code=204)
async def recording(request: Request) -> Response:
    await _run(call_events.handle_recording, request)
    return Response(status_code=204)


@router.post(AMD_PATH, status_code=204)
async def amd(request: Request) -> Response:
    await _run(call_events.handle_amd, request)
    return Response(status_code=204)
