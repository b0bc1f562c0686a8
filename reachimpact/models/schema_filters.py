"""Which database objects Alembic compares with the models, shared by alembic/env.py and the tests.

Procrastinate's tables, types and functions live in the same schema but are installed from its own SQL
(see the procrastinate revision), so autogenerate must never propose to create or drop them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PROCRASTINATE_PREFIX = "procrastinate_"


def _is_procrastinate(name: str | None) -> bool:
    return (name or "").startswith(PROCRASTINATE_PREFIX)


def include_name(name: str | None, type_: str, parent_names: Mapping[str, str | None]) -> bool:
    """Alembic `include_name` hook: skip reflected procrastinate_* tables and what hangs on them."""
    return not (_is_procrastinate(name) or _is_procrastinate(parent_names.get("table_name")))


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic `include_object` hook: skip procrastinate_* objects and anything on their tables."""
    # Indexes and constraints carry their own names (idx_procrastinate_..., ...): judge them by their table.
    table = getattr(obj, "table", None)
    if _is_procrastinate(name) or _is_procrastinate(getattr(table, "name", None)):
        return False
    # Reflected indexes carry no info: judge them by the model's index of the same name.
    return not any(getattr(o, "info", {}).get("compared_by_hand") for o in (obj, compare_to))
