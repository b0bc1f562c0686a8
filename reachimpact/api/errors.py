"""Every error the API answers has one shape, declared on every route of the OpenAPI document.

    {"detail": "text", "request_id": "...", "errors": [{"loc": [...], "msg": "...", "type": "..."}]}

`errors` is present on validation errors only (422 from FastAPI's request parsing). Domain errors keep
their words in `detail`; a 500 says only "Internal server error." with the id to quote.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from reachimpact.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, RateLimited, Unauthorized
from reachimpact.logging_setup import request_id_var

# One place turns domain errors into HTTP. Another organization's row is simply "not found".
STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Forbidden: 403,
    Invalid: 422,
    Conflict: 409,
    Unauthorized: 401,
    RateLimited: 429,
}


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    detail: str
    request_id: str
    errors: list[ErrorItem] | None = None


def _described(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# Declared on every route (FastAPI then leaves out its own list-shaped 422 schema).
RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _described("The body cannot be read as what the route takes (e.g. not UTF-8)"),
    401: _described("Not signed in, or the token is no longer valid"),
    403: _described("Not allowed for this role, or a webhook whose signature does not match"),
    404: _described("No such item in your organization"),
    409: _described("Conflicts with what exists"),
    413: _described("The request body is larger than this route accepts"),
    422: _described("The input is invalid; `errors` lists each field on request validation"),
    429: _described("Too many attempts; see Retry-After"),
    500: _described("Internal server error; quote `request_id`"),
}


def error_response(
    status_code: int,
    detail: str,
    *,
    errors: list[ErrorItem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(detail=detail, request_id=request_id_var.get() or "", errors=errors)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status_code, headers=headers)


async def domain_error(request: Request, exc: Exception) -> JSONResponse:
    status_code = next(code for kind, code in STATUS.items() if isinstance(exc, kind))
    headers: dict[str, str] = {}
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    detail = "Not found." if isinstance(exc, NotFound) else str(exc)
    return error_response(status_code, detail, headers=headers)


def _summary(items: Sequence[ErrorItem]) -> str:
    """One sentence naming each wrong field: "name: Field required; phone: too short"."""
    parts = []
    for item in items:
        where = ".".join(str(part) for part in item.loc if part not in ("body", "query", "path"))
        parts.append(f"{where}: {item.msg}" if where else item.msg)
    return "; ".join(parts) or "Invalid input."


def invalid_request(items: list[ErrorItem]) -> JSONResponse:
    """The 422 of a request that breaks its route's shape: each wrong field in `errors` and in `detail`."""
    return error_response(422, _summary(items), errors=items)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return invalid_request(
        [
            ErrorItem(
                loc=list(error.get("loc", ())), msg=str(error.get("msg", "")), type=str(error.get("type", ""))
            )
            for error in exc.errors()
        ]
    )


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette's 405 names only the first route's).

    Asked of the routes as the router asks them, one method at a time: FastAPI keeps an included
    router's routes inside it, where a walk over them would not see them.
    """
    routes = request.app.router.routes
    allowed = [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)
    ]
    return ", ".join(allowed)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (an unknown route, a wrong method, a body it cannot parse) in the same shape."""
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        return error_response(404, "Not found.", headers=headers)
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return error_response(exc.status_code, str(exc.detail), headers=headers)
