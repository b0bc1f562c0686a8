"""Firestore's typed values (Timestamp, DocumentReference, GeoPoint, bytes) in plain JSON, both ways.

The encoding is the one of the common JSON export tools (node-firestore-import-export):
{"__datatype__": "timestamp", "value": {"_seconds": 1700000000, "_nanoseconds": 0}}, and likewise
"documentReference" (value: the document path), "geopoint" and "bytes" (base64). Reading is lenient:
a timestamp may also be {"_seconds", "_nanoseconds"}, {"seconds", "nanos"}, an ISO string or an epoch
number, since hand-made exports write them every way.
"""

from __future__ import annotations

import base64
import math
from datetime import UTC, datetime, timedelta
from typing import Any

DATATYPE = "__datatype__"
COLLECTIONS = "__collections__"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode(value: Any) -> Any:
    """A value from the Firestore client (or plain Python) → JSON-able, typed values tagged."""
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        delta = moment - _EPOCH
        seconds = delta.days * 86400 + delta.seconds
        nanos = getattr(value, "nanosecond", 0) or delta.microseconds * 1000
        return {DATATYPE: "timestamp", "value": {"_seconds": seconds, "_nanoseconds": nanos}}
    if isinstance(value, bytes):
        return {DATATYPE: "bytes", "value": base64.b64encode(value).decode()}
    path = getattr(value, "path", None)
    if isinstance(path, str) and hasattr(value, "collection"):  # DocumentReference
        return {DATATYPE: "documentReference", "value": path}
    if hasattr(value, "latitude") and hasattr(value, "longitude"):  # GeoPoint
        return {DATATYPE: "geopoint", "value": {"_latitude": value.latitude, "_longitude": value.longitude}}
    return value


def reference_path(value: Any) -> str | None:
    """The document path of a reference value, or None when `value` is not a reference."""
    if isinstance(value, dict) and value.get(DATATYPE) == "documentReference":
        return str(value.get("value") or "").strip("/") or None
    return None


def to_datetime(value: Any) -> datetime:
    """Any timestamp spelling → an aware UTC datetime; ValueError when it is none."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, dict):
        if value.get(DATATYPE) == "timestamp":
            value = value.get("value")
            if not isinstance(value, dict):
                raise ValueError("timestamp without a value")
        seconds = value.get("_seconds", value.get("seconds"))
        nanos = value.get("_nanoseconds", value.get("nanoseconds", value.get("nanos", 0))) or 0
        if seconds is None:
            raise ValueError(f"not a timestamp: {sorted(value)}")
        return _EPOCH + timedelta(seconds=int(seconds), microseconds=int(nanos) // 1000)
    if isinstance(value, bool):
        raise ValueError("a boolean is not a timestamp")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        # Millisecond epochs (JavaScript's Date.now()) are past 1e11 for any date after 1973.
        seconds = value / 1000 if abs(value) >= 1e11 else value
        return _EPOCH + timedelta(seconds=seconds)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return to_datetime(int(text))
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise ValueError(f"not a timestamp: {type(value).__name__}")


def timestamp_value(moment: datetime) -> dict:
    """The tagged JSON form of a moment (what export-back writes)."""
    return encode(moment)
