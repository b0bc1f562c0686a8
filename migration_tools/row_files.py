"""The transformed folder: rows per table in COPY text format, rejects, warnings and transform.json.

    transform.json        columns and references of each table's rows, counts, SHA-256 of each file
    rows/<table>.copy     one row a line, PostgreSQL COPY text format, columns as transform.json says
    rejects.jsonl         documents that could not be transformed, with the reason
    warnings.jsonl        documents that were, with something to know (unknown enum value, cut text)
    load_rejects/<table>.jsonl   rows the load could not place (missing parent, duplicate key)

A row's reference columns hold the firebase_id of the row they point to; the load resolves them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

TRANSFORM_MANIFEST = "transform.json"
ROWS_DIR = "rows"
REJECTS = "rejects.jsonl"
WARNINGS = "warnings.jsonl"
LOAD_REJECTS_DIR = "load_rejects"

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _escaped(text: str) -> str:
    # Four memchr scans cost less than a translate, and almost no field needs escaping.
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_ESCAPES)
    return text


def _array_item(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _array(value: list) -> str:
    return _escaped("{" + ",".join(_array_item(str(v)) for v in value) + "}")


def _json(value: dict) -> str:
    return _escaped(json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")))


def _other(value: Any) -> str:
    if isinstance(value, str):
        return _escaped(value)
    if isinstance(value, datetime):
        return _escaped(value.isoformat())
    if isinstance(value, list):
        return _array(value)
    if isinstance(value, dict):
        return _json(value)
    return _escaped(str(value))


# By exact type, the common cases without a chain of isinstance checks; subclasses go to _other.
_FORMATS: dict[type, Callable[[Any], str]] = {
    str: _escaped,
    type(None): lambda value: "\\N",
    bool: lambda value: "t" if value else "f",
    int: int.__str__,
    float: float.__repr__,
    datetime: datetime.isoformat,
    list: _array,
    dict: _json,
}


def copy_value(value: Any) -> str:
    """One field in COPY text format (NULL is \\N)."""
    return _FORMATS.get(type(value), _other)(value)


def copy_line(values: list[Any]) -> str:
    """One row in COPY text format, newline included."""
    formats = _FORMATS
    return "\t".join([formats.get(type(v), _other)(v) for v in values]) + "\n"


def write_row(handle: IO[str], values: list[Any]) -> None:
    handle.write(copy_line(values))


def rows_file(folder: Path, table_name: str) -> Path:
    return folder / ROWS_DIR / f"{table_name}.copy"


def read_manifest(folder: Path) -> dict:
    path = folder / TRANSFORM_MANIFEST
    if not path.exists():
        raise FileNotFoundError(f"{folder} has no {TRANSFORM_MANIFEST}: run transform first")
    return json.loads(path.read_text())


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
