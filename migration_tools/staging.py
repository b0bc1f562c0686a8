"""Staging a table's transformed rows in PostgreSQL (COPY into a temp table), shared by load and validate."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from migration_tools.mapping import table
from migration_tools.row_files import rows_file

COPY_CHUNK = 1 << 20
# Staged tables and their sorts fit in memory at these sizes; PostgreSQL's defaults (8 MB of temp
# buffers, 4 MB per sort) send a table of a few tens of thousands of rows to disk and back.
SESSION_SETTINGS = {"temp_buffers": "128MB", "work_mem": "64MB"}
_DIALECT = postgresql.dialect()


def connect(conninfo: str, **kwargs: Any) -> psycopg.Connection:
    """A connection for staging work (temp_buffers must be set before the session's first temp table)."""
    conn = psycopg.connect(conninfo, **kwargs)
    for name, value in SESSION_SETTINGS.items():
        conn.execute("SELECT set_config(%s, %s, false)", (name, value))
    conn.commit()
    return conn


def q(name: str) -> str:
    """A quoted identifier (names come from our own metadata, never from input)."""
    return '"' + name.replace('"', '""') + '"'


def stage_type(column: sa.Column) -> str:
    """The staging column type: the target's, with text for every string so long values can be reported
    row by row instead of failing the whole COPY."""
    if isinstance(column.type, sa.String):
        return "text"
    return column.type.compile(dialect=_DIALECT)


@dataclass(frozen=True)
class TableSpec:
    """One table's rows as transform.json describes them."""

    name: str
    data: list[str]
    refs: dict[str, dict]
    rows: int

    @classmethod
    def from_manifest(cls, name: str, entry: dict) -> TableSpec:
        return cls(name, list(entry["data"]), dict(entry["refs"]), int(entry["rows"]))

    @property
    def target(self) -> sa.Table:
        return table(self.name)

    @property
    def columns(self) -> list[str]:
        return ["source", "id", "firebase_id", *self.data, *self.refs]

    @property
    def stored_refs(self) -> list[str]:
        return [r for r, spec in self.refs.items() if spec["store"]]

    @property
    def has_firebase_id(self) -> bool:
        return "firebase_id" in self.target.c

    @property
    def conflict_key(self) -> list[str]:
        """The columns that say which existing row a staged row is (firebase_id where the table has one)."""
        if self.has_firebase_id:
            return ["firebase_id"]
        for constraint in self.target.constraints:
            if isinstance(constraint, sa.UniqueConstraint):
                return [c.name for c in constraint.columns]
        raise ValueError(f"{self.name} has no key to upsert on")

    def unique_keys(self) -> list[list[str]]:
        """Other unique keys, as SQL expressions over the table's columns ("{a}" stands for the alias)."""
        present = {"firebase_id", *self.data, *self.stored_refs}
        keys: list[list[str]] = []
        for constraint in self.target.constraints:
            if isinstance(constraint, sa.UniqueConstraint):
                names = [c.name for c in constraint.columns]
                if names != self.conflict_key and set(names) <= present:
                    keys.append([f"{{a}}.{q(n)}" for n in names])
        for index in self.target.indexes:
            if index.unique:
                expressions = [str(e) for e in index.expressions]
                used = {n for e in expressions for n in re.findall(r"[a-z_]+", e) if n in self.target.c}
                if used and used <= present:
                    keys.append([_qualify(e, self.target) for e in expressions])
        return keys


def _qualify(expression: str, target: sa.Table) -> str:
    if expression in target.c:
        return f"{{a}}.{q(expression)}"
    return re.sub(r"\b([a-z_]+)\b", lambda m: f"{{a}}.{m[1]}" if m[1] in target.c else m[1], expression)


def specs(manifest: dict) -> list[TableSpec]:
    """The manifest's tables, each after the tables its rows refer to."""
    pending = {name: TableSpec.from_manifest(name, entry) for name, entry in manifest["tables"].items()}
    ordered: list[TableSpec] = []
    while pending:
        ready = [
            s
            for s in pending.values()
            if all(r["table"] not in pending or r["table"] == s.name for r in s.refs.values())
        ]
        if not ready:
            raise ValueError(f"references between {sorted(pending)} go round in a circle")
        for spec in sorted(ready, key=lambda s: s.name):
            ordered.append(spec)
            del pending[spec.name]
    return ordered


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(COPY_CHUNK):
            yield chunk


def create_stage(conn: psycopg.Connection, folder: Path, spec: TableSpec, name: str = "mig_stage") -> int:
    """A temp table `name` (dropped at commit) holding the table's rows file; returns its row count."""
    target = spec.target
    definitions = ["source text", "id uuid", "firebase_id text"]
    definitions += [f"{q(c)} {stage_type(target.c[c])}" for c in spec.data]
    definitions += [f"{q(r)} text" for r in spec.refs]
    conn.execute(f"DROP TABLE IF EXISTS {name}")
    conn.execute(f"CREATE TEMP TABLE {name} ({', '.join(definitions)}) ON COMMIT DROP")
    columns = ", ".join(q(c) for c in spec.columns)
    with conn.cursor() as cursor:
        with cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
            for chunk in _chunks(rows_file(folder, spec.name)):
                copy.write(chunk)
        return cursor.rowcount
