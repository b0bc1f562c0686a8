"""The limits of a contact's custom fields, the same through the API, the pages and a CSV import."""

from __future__ import annotations

from typing import Any

from reachimpact.errors import Invalid

MAX_FIELDS = 100
MAX_NAME_CHARS = 64
MAX_VALUE_CHARS = 1_000


def check_name(name: str) -> None:
    if not name.strip() or len(name) > MAX_NAME_CHARS:
        raise Invalid(f"Custom field names must be 1 to {MAX_NAME_CHARS} characters: {name[:80]!r}.")


def check_value(name: str, value: Any) -> None:
    if not isinstance(value, str | int | float | bool | type(None)):
        raise Invalid(f"Custom field {name!r} must be text, a number, true/false or empty.")
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        raise Invalid(f"Custom field {name!r} is longer than {MAX_VALUE_CHARS:,} characters.")


def check_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` when they keep to the limits; Invalid naming the first that does not."""
    if len(fields) > MAX_FIELDS:
        raise Invalid(f"A contact has at most {MAX_FIELDS} custom fields; this one has {len(fields)}.")
    for name, value in fields.items():
        check_name(name)
        check_value(name, value)
    return fields
