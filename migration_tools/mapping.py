"""The declarative mapping from Firestore collections to tables (default_mapping.toml explains the format)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table
from sqlmodel import SQLModel

import reachimpact.models  # noqa: F401 - fills SQLModel.metadata

DEFAULT_MAPPING = Path(__file__).with_name("default_mapping.toml")
AUTH = "auth"
TYPES = {"text", "int", "float", "bool", "timestamp", "phone", "enum", "text_array", "json", "ref"}


class MappingError(ValueError):
    pass


@dataclass(frozen=True)
class ColumnMapping:
    name: str
    fields: tuple[str, ...]
    type: str
    default: Any = None
    required: bool = False
    max_length: int | None = None
    values: dict[str, str] = field(default_factory=dict)
    ref: str | None = None  # the referenced collection pattern (with {0}...) or "auth"


@dataclass(frozen=True)
class CollectionMapping:
    pattern: str
    table: str | None
    organization: str | None = None
    extra: str | None = None
    conversation: str | None = None
    skip: str | None = None
    columns: tuple[ColumnMapping, ...] = ()


@dataclass(frozen=True)
class AuthMapping:
    profile_collection: str = "users"
    user_phone: tuple[str, ...] = ("phone",)
    user_time_zone: tuple[str, ...] = ("timezone",)
    organization_name: tuple[str, ...] = ("organizationName",)
    organization_time_zone: tuple[str, ...] = ("timezone",)


@dataclass(frozen=True)
class Mapping:
    auth: AuthMapping
    collections: dict[str, CollectionMapping]
    source: dict

    def table_for(self, pattern: str) -> str:
        """The table that rows of a referenced collection pattern ("auth" is Auth users) land in."""
        if pattern == AUTH:
            return "users"
        if pattern == self.auth.profile_collection:
            return "organizations"
        mapped = self.collections.get(_generic(pattern))
        if mapped is None or mapped.table is None:
            raise MappingError(f"a reference points to {pattern}, which the mapping does not load")
        return mapped.table


def _generic(pattern: str) -> str:
    """ "users/{0}/contacts" → "users/*/contacts"."""
    return "/".join("*" if p.startswith("{") and p.endswith("}") else p for p in pattern.split("/"))


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise MappingError(f"expected a field name or a list of them, not {value!r}")


def table(name: str) -> Table:
    found = SQLModel.metadata.tables.get(name)
    if found is None:
        raise MappingError(f"no table {name!r}")
    return found


def model_defaults(table_name: str) -> dict[str, Any]:
    """Python-side defaults of a table's NOT NULL columns that have no server default (e.g. a campaign's
    consent message): rows inserted with plain SQL must be given them."""
    target = table(table_name)
    model = next(
        (m for m in _models() if getattr(m, "__tablename__", None) == table_name),
        None,
    )
    defaults: dict[str, Any] = {}
    for column in target.c:
        if column.nullable or column.server_default is not None or column.foreign_keys:
            continue
        info = model.model_fields.get(column.name) if model is not None else None
        if info is None:
            continue
        if info.default_factory is not None:
            defaults[column.name] = info.default_factory()
        elif info.default is not None and not repr(info.default).startswith("PydanticUndefined"):
            defaults[column.name] = getattr(info.default, "value", info.default)
    return defaults


def _models() -> list[type[SQLModel]]:
    found, pending = [], list(SQLModel.__subclasses__())
    while pending:
        model = pending.pop()
        found.append(model)
        pending.extend(model.__subclasses__())
    return found


def _column(pattern: str, table_name: str, name: str, spec: dict) -> ColumnMapping:
    where = f"{pattern}: column {name}"
    if name not in table(table_name).c:
        raise MappingError(f"{where}: table {table_name} has no such column")
    kind = spec.get("type", "text")
    if kind not in TYPES:
        raise MappingError(f"{where}: unknown type {kind!r} (one of {', '.join(sorted(TYPES))})")
    if "field" not in spec:
        raise MappingError(f"{where}: says no field")
    column = ColumnMapping(
        name=name,
        fields=_names(spec["field"]),
        type=kind,
        default=spec.get("default"),
        required=bool(spec.get("required", False)),
        max_length=spec.get("max_length"),
        values={str(k): str(v) for k, v in (spec.get("values") or {}).items()},
        ref=spec.get("collection"),
    )
    if kind == "enum" and not column.values:
        raise MappingError(f"{where}: an enum needs values")
    if kind == "ref" and not column.ref:
        raise MappingError(f"{where}: a ref needs the collection it points to")
    return column


def load_mapping(path: Path | None = None) -> Mapping:
    path = path or DEFAULT_MAPPING
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise MappingError(f"cannot read mapping {path}: {exc}") from exc
    auth_raw = raw.get("auth") or {}
    auth = AuthMapping(
        profile_collection=auth_raw.get("profile_collection", "users"),
        **{
            key: _names(auth_raw[key])
            for key in ("user_phone", "user_time_zone", "organization_name", "organization_time_zone")
            if key in auth_raw
        },
    )
    collections: dict[str, CollectionMapping] = {}
    tables_seen: dict[str, str] = {}
    for pattern, spec in (raw.get("collections") or {}).items():
        if spec.get("skip"):
            collections[pattern] = CollectionMapping(pattern, None, skip=str(spec["skip"]))
            continue
        table_name = spec.get("table")
        if not table_name:
            raise MappingError(f"{pattern}: names no table (or `skip` with a reason)")
        table(table_name)
        if table_name in tables_seen or table_name in ("users", "organizations", "memberships"):
            raise MappingError(
                f"{pattern}: table {table_name} is already filled by {tables_seen.get(table_name, AUTH)}"
            )
        tables_seen[table_name] = pattern
        columns = tuple(
            _column(pattern, table_name, name, col) for name, col in (spec.get("columns") or {}).items()
        )
        mapped = CollectionMapping(
            pattern=pattern,
            table=table_name,
            organization=spec.get("organization"),
            extra=spec.get("extra"),
            conversation=spec.get("conversation"),
            columns=columns,
        )
        if mapped.organization is None and "organization_id" in table(table_name).c:
            raise MappingError(f"{pattern}: table {table_name} needs `organization` (whose rows they are)")
        if mapped.extra and mapped.extra not in {c.name for c in columns if c.type == "json"}:
            raise MappingError(f"{pattern}: extra must name one of its json columns")
        if mapped.conversation and mapped.conversation not in {c.name for c in columns if c.type == "ref"}:
            raise MappingError(f"{pattern}: conversation must name its contact ref column")
        collections[pattern] = mapped
    result = Mapping(auth=auth, collections=collections, source=raw)
    for mapped in collections.values():
        for column in mapped.columns:
            if column.ref:
                result.table_for(column.ref)  # every reference lands somewhere
    return result
