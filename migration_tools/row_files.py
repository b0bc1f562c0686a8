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
from datetime import datetime
from pathlib import Path
from typing import IO, Any

TRANSFORM_MANIFEST = "transform.json"
ROWS_DIR = "rows"
REJECTS = "rejects.jsonl"
WARNINGS = "warnings.jsonl"
LOAD_REJECTS_DIR = "load_rejects"

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _array_item(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def copy_value(value: Any) -> str:
    """One field in COPY text format (NULL is \\N)."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        text = value
    elif isinstance(value, datetime):
        text = value.isoformat()
    elif isinstance(value, list):
        text = "{" + ",".join(_array_item(str(v)) for v in value) + "}"
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    else:
        text = str(value)
    return text.translate(_ESCAPES)


def write_row(handle: IO[str], values: list[Any]) -> None:
    handle.write("\t".join(copy_value(v) for v in values) + "\n")


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
