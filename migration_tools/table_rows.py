"""One table's rows file as the transform writes it, and the ids of its rows: derived from (table,
firebase_id), so that the same export always yields the same rows."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import IO, Any

from migration_tools.row_files import copy_line
from migration_tools.transform_errors import Rejected

ROW_NAMESPACE = uuid.UUID("5b0d7c3e-5f0e-4d1a-9a57-2f1f3c0e8a11")
FIREBASE_ID_MAX = 128

_NAMESPACE_SHA1 = hashlib.sha1(ROW_NAMESPACE.bytes)
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def row_id(table_name: str, firebase_id: str) -> str:
    """uuid5(ROW_NAMESPACE, "table:firebase_id") as text, without building a UUID object per row."""
    digest = _NAMESPACE_SHA1.copy()
    digest.update(f"{table_name}:{firebase_id}".encode())
    x = digest.hexdigest()
    return f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{_VARIANT[x[16]]}{x[17:20]}-{x[20:32]}"


@dataclass
class TableRows:
    """The rows file of one table, being written."""

    name: str
    data: list[str]
    refs: dict[str, dict]  # column → {"table", "required", "store"}
    handle: IO[str]
    count: int = 0
    fields: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.fields = [*self.data, *self.refs]

    @property
    def columns(self) -> list[str]:
        return ["source", "id", "firebase_id", *self.data, *self.refs]

    def write(self, source: str, firebase_id: str, values: dict[str, Any]) -> str:
        """Write one row; returns its id."""
        if len(firebase_id) > FIREBASE_ID_MAX:
            raise Rejected(f"id is longer than {FIREBASE_ID_MAX} characters")
        get = values.get
        identifier = row_id(self.name, firebase_id)
        self.handle.write(copy_line([source, identifier, firebase_id, *[get(c) for c in self.fields]]))
        self.count += 1
        return identifier
