"""Request ids and the last-resort error answer for the API and webhooks.

A pure ASGI middleware rather than BaseHTTPMiddleware: the Reflex app (its websocket included) is
mounted beneath ours, and only /api and /webhooks requests should be touched. Unhandled errors are
answered here, inside the request's context, so the log line and the response carry its id.
"""

from __future__ import annotations

import logging
import re
import uuid

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reachimpact.logging_setup import request_id_var

logger = logging.getLogger("reachimpact.api")

REQUEST_ID_HEADER = "x-request-id"
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_OUR_PREFIXES = ("/api", "/webhooks")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(_OUR_PREFIXES):
            await self.app(scope, receive, send)
            return
        # Keep a caller's id (e.g. from a proxy) only when it is safe to log and echo.
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = incoming if _ACCEPTABLE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                message.setdefault("headers", [])
                message["headers"].append((REQUEST_ID_HEADER.encode(), request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if response_started:
                raise
            # The client learns only the id to quote; the traceback stays in the log.
            answer = JSONResponse({"detail": "Internal server error.", "request_id": request_id}, 500)
            await answer(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
