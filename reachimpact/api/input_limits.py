"""What a request to the API may send before a route reads it: size caps (413) and no NUL characters (422).

A forged webhook must not make us read 50 MB before its signature is checked, and a JSON body has no
reason to be bigger than a page of contacts' ids; uploads (CSV imports) have their own, documented cap.
A body announced too large (Content-Length) is refused at once; one streamed without a length is counted
as it arrives and refused when it passes the cap.

PostgreSQL cannot store the NUL character in text, so a NUL anywhere in a query parameter or a JSON body
is refused here, naming the field, before any route could half-write it. Webhooks are not refused: Twilio
would retry for ever and an inbound text must not be lost; their handlers drop the character instead.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reachimpact.api.errors import ErrorItem, error_response, invalid_request
from reachimpact.services.contact_import import MAX_FILE_BYTES

WEBHOOK_BODY_BYTES = 64 * 1024
JSON_BODY_BYTES = 1024 * 1024
# A CSV upload: the file's own cap, and room for the multipart form around it.
UPLOAD_BODY_BYTES = MAX_FILE_BYTES + 1024 * 1024
UPLOAD_PATHS = frozenset({"/api/contacts/import", "/api/do-not-contact/import"})
NUL = "\x00"
NUL_MESSAGE = "must not contain the NUL character (\\u0000)"


def body_limit(path: str) -> int | None:
    """The most bytes a request to `path` may send; None for paths that are not ours (Reflex's)."""
    if path.startswith("/webhooks"):
        return WEBHOOK_BODY_BYTES
    if path in UPLOAD_PATHS:
        return UPLOAD_BODY_BYTES
    if path.startswith("/api"):
        return JSON_BODY_BYTES
    return None


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


class BodyTooLarge(HTTPException):
    """Raised while the body is read; an HTTPException so that FastAPI's body parsing passes it on as
    it is (it turns other errors into a 400) and the API's handler answers 413 in the usual shape."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {_size(limit)}, the most this route accepts.")


def _nul_locations(value: Any, at: list[str | int]) -> list[list[str | int]]:
    """Where in a decoded JSON value a string (or an object's key) holds a NUL."""
    if isinstance(value, str):
        return [at] if NUL in value else []
    if isinstance(value, dict):
        found: list[list[str | int]] = []
        for key, item in value.items():
            found += [[*at, key]] if NUL in key else _nul_locations(item, [*at, key])
        return found
    if isinstance(value, list):
        return [loc for index, item in enumerate(value) for loc in _nul_locations(item, [*at, index])]
    return []


def nul_errors(query_string: bytes, body: bytes) -> list[ErrorItem]:
    """A validation error for each query parameter or JSON field that holds a NUL."""
    locations: list[list[str | int]] = [
        ["query", name]
        for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
        if NUL in name or NUL in value
    ]
    if b"\\u0000" in body or b"\x00" in body:
        with contextlib.suppress(ValueError):  # not JSON: the route's own parsing refuses it
            locations += _nul_locations(json.loads(body), ["body"])
    return [ErrorItem(loc=loc, msg=NUL_MESSAGE, type="nul_character") for loc in locations]


class InputLimitsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = body_limit(scope["path"]) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        announced = dict(scope["headers"]).get(b"content-length", b"")
        if announced.isdigit() and int(announced) > limit:
            await error_response(413, BodyTooLarge(limit).detail)(scope, receive, send)
            return
        if scope["path"].startswith("/api") and scope["path"] not in UPLOAD_PATHS:
            # Small by the cap above: read whole, so that a NUL is refused before the route runs.
            try:
                body = await _read_body(receive, limit)
            except BodyTooLarge as exc:
                await error_response(413, exc.detail)(scope, receive, send)
                return
            if errors := nul_errors(scope.get("query_string", b""), body):
                await invalid_request(errors)(scope, receive, send)
                return
            await self.app(scope, _replay(body, receive), send)
            return
        await self._stream(scope, receive, send, limit)

    async def _stream(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Pass a large body on as it arrives, counting it."""
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await error_response(413, exc.detail)(scope, receive, send)


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the route the body already read, then whatever comes next (a disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
