"""What the user is told when a service refuses, and how values sent by the browser are read.

The one place the UI turns a DomainError into words (the API's counterpart is reachimpact/api/errors.py).
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

import pydantic

from reachimpact.errors import DomainError, Invalid, NotFound

Model = TypeVar("Model", bound=pydantic.BaseModel)


def user_message(error: DomainError) -> str:
    """The sentence to show for `error`.

    "Not found" says nothing about why: another organization's row must look exactly like a missing one.
    Services name what was not found (NotFound("member")).
    """
    if isinstance(error, NotFound):
        return f"That {str(error) or 'item'} was not found; it may have been removed already."
    return str(error) or "That did not work; please try again."


def browser_id(value: str, what: str) -> uuid.UUID:
    """An id the browser sent back. Anyone can send any text over the websocket, so a malformed id is
    simply not found, like an id of another organization's row."""
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError) as exc:
        raise NotFound(what) from exc


def form_text(form: dict[str, Any], name: str) -> str:
    """A text field of a submitted form; empty when missing or not text (the browser sends what it likes)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def validated(model: type[Model], fields: dict[str, Any]) -> Model:
    """`fields` as the service's input model, or Invalid naming the first field that is wrong."""
    try:
        return model.model_validate(fields)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        # ("retry_policy", "no-answer", "max_attempts") → "Retry policy no-answer max attempts"
        names = [str(part) for part in first["loc"] if isinstance(part, str)]
        field = " ".join(names).replace("_", " ").capitalize() if names else "A field"
        raise Invalid(f"{field}: {first['msg']}.") from None
