"""Column values from Firestore fields, as the mapping types them (text, int, float, bool, timestamp,
phone, enum, text_array, json, ref): one converter per column, built once per collection, and the
column reader that applies it to each document, rejecting the document or warning and keeping the
column's default when a value cannot be converted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

from migration_tools.export_folder import collection_pattern
from migration_tools.firestore_values import reference_path, to_datetime
from migration_tools.mapping import AUTH, CollectionMapping, ColumnMapping, table
from migration_tools.transform_errors import Rejected
from reachimpact.errors import Invalid
from reachimpact.services.phones import normalize_phone

# A converter takes the field's value and the document path's wildcards (its parents' ids).
Converter = Callable[[Any, list[str]], Any]
# reader(path, wild, doc, values): puts the column's value into `values`, raising Rejected when it cannot.
ColumnReader = Callable[[str, list[str], dict, dict[str, Any]], None]
# warn(collection, path, message): one line of warnings.jsonl.
Warn = Callable[[str, str, str], None]


# Organisations' own numbers recur in every call and message; contacts' numbers mostly do not. A small
# cache keeps the first without letting memory grow with the export (65,536 entries cost 10 MB by
# 100k documents, for no measurable speed).
@lru_cache(maxsize=1 << 12)
def _phone(raw: str, region: str) -> str:
    return normalize_phone(raw, region)


def _bad(raw: Any) -> Any:
    raise ValueError(f"{raw!r} is not a number")


class Timestamps:
    """The timestamp converter of one transform. Columns often read the same field (updated_at falls
    back to createdAt): the last value read is converted once."""

    def __init__(self) -> None:
        self._last: tuple[Any, datetime] | None = None

    def convert(self, raw: Any, wild: list[str]) -> datetime:
        # The last value is kept referenced here, so its id cannot be another object's.
        last = self._last
        if last is not None and last[0] is raw:
            return last[1]
        moment = to_datetime(raw)
        self._last = (raw, moment)
        return moment


def column_reader(
    mapped: CollectionMapping, column: ColumnMapping, *, region: str, timestamps: Timestamps, warn: Warn
) -> ColumnReader:
    """A function that reads `column` from a document into `values`, raising Rejected when it cannot."""
    convert = column_converter(column, region=region, timestamps=timestamps)
    fields = column.fields
    name = column.name
    default = column.default
    required = column.required
    nullable = table(mapped.table or "").c[name].nullable
    pattern = mapped.pattern

    def read(path: str, wild: list[str], doc: dict, values: dict[str, Any]) -> None:
        raw = None
        for candidate in fields:
            raw = doc.get(candidate)
            if raw is not None:
                break
        if raw is None or raw == "":
            if required:
                raise Rejected(f"{fields[0]} is missing")
            values[name] = default
            return
        try:
            values[name] = convert(raw, wild)
        except Rejected:
            raise
        except (ValueError, TypeError, OverflowError, Invalid) as exc:
            if required or (default is None and not nullable):
                raise Rejected(f"{fields[0]}: {exc}") from None
            warn(pattern, path, f"{fields[0]}: {exc}; kept {default!r}")
            values[name] = default

    return read


def column_converter(column: ColumnMapping, *, region: str, timestamps: Timestamps) -> Converter:
    """The converter of the column's type; it raises ValueError (or TypeError, OverflowError, Invalid)
    for a value it cannot convert."""
    kind = column.type
    max_length = column.max_length
    if kind == "text":

        def text(raw: Any, wild: list[str]) -> str:
            if isinstance(raw, dict | list):
                raise ValueError("is not text")
            value = str(raw)
            if max_length and len(value) > max_length:
                raise ValueError(f"is longer than {max_length} characters")
            return value

        return text
    if kind == "int":

        def integer(raw: Any, wild: list[str]) -> int:
            if isinstance(raw, bool) or not isinstance(raw, int | float | str):
                raise ValueError(f"{raw!r} is not a whole number")
            number = float(raw)
            if not number.is_integer() or abs(number) > 2**31 - 1:
                raise ValueError(f"{raw!r} is not a whole number")
            return int(number)

        return integer
    if kind == "float":
        return lambda raw, wild: float(raw) if not isinstance(raw, bool | dict | list) else _bad(raw)
    if kind == "bool":

        def boolean(raw: Any, wild: list[str]) -> bool:
            if isinstance(raw, bool):
                return raw
            if raw in (0, 1) or str(raw).lower() in ("true", "false", "0", "1", "yes", "no"):
                return str(raw).lower() in ("1", "true", "yes")
            raise ValueError(f"{raw!r} is not true or false")

        return boolean
    if kind == "timestamp":
        return timestamps.convert
    if kind == "phone":
        return lambda raw, wild: _phone(str(raw), region)
    if kind == "text_array":

        def text_array(raw: Any, wild: list[str]) -> list[str]:
            if isinstance(raw, str):
                return [raw]
            if isinstance(raw, list) and all(isinstance(v, str | int | float) for v in raw):
                return [str(v) for v in raw]
            raise ValueError("is not a list of words")

        return text_array
    if kind == "json":

        def json_value(raw: Any, wild: list[str]) -> Any:
            if not isinstance(raw, dict | list):
                raise ValueError("is not an object")
            return raw

        return json_value
    if kind == "enum":
        values = column.values
        default = column.default

        def enum(raw: Any, wild: list[str]) -> str:
            found = values.get(str(raw)) or values.get(str(raw).lower())
            if found is None:
                raise ValueError(f"unknown value {raw!r}" + (f" (default {default!r})" if default else ""))
            return found

        return enum
    # ref
    target = column.ref or ""

    def ref(raw: Any, wild: list[str]) -> str:
        path = reference_path(raw)
        if path is None:
            if not isinstance(raw, str):
                raise ValueError(f"{raw!r} is not a document id or reference")
            path = raw.strip("/")
        if target == AUTH:
            return path.split("/")[-1]
        if "/" not in path:
            return f"{target.format(*wild)}/{path}"  # in the target collection by construction
        if collection_pattern(path) != collection_pattern(f"{target.format(*wild)}/x"):
            raise ValueError(f"{path!r} is not in {target.format(*wild)}")
        return path

    return ref
