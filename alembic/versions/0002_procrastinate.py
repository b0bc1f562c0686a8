"""Procrastinate's job-queue schema (tables, types, functions, triggers), version 3.10.0.

The SQL is procrastinate 3.10.0's own `schema.sql`, copied next to this file so the revision never
changes with the installed package. Upgrading procrastinate means a new revision that applies the files
of its sql/migrations/ between the two versions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 07:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import psycopg
from alembic import context, op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SCHEMA_SQL = (Path(__file__).parent / "0002_procrastinate_3_10_0.sql").read_text()

# Everything procrastinate creates is named procrastinate_* (indexes go with their tables).
_OBJECTS_TO_DROP = """
SELECT format('DROP TABLE IF EXISTS %I CASCADE', c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname LIKE 'procrastinate\\_%'
UNION ALL
SELECT format('DROP ROUTINE IF EXISTS %s CASCADE', p.oid::regprocedure)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'
UNION ALL
SELECT format('DROP TYPE IF EXISTS %I CASCADE', t.typname)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate\\_%' AND t.typtype IN ('e', 'c')
  AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid AND c.relkind <> 'c')
"""


def _driver_cursor() -> psycopg.Cursor:
    # op.execute would send the SQL through SQLAlchemy's text(), which reads its ':' and '%' as
    # parameters; psycopg without parameters sends it untouched, several statements at once.
    return op.get_bind().connection.driver_connection.cursor()


def upgrade() -> None:
    if context.is_offline_mode():  # `alembic upgrade --sql`: print the script as it is
        op.execute(_SCHEMA_SQL)
        return
    with _driver_cursor() as cursor:
        cursor.execute(_SCHEMA_SQL)


def downgrade() -> None:
    if context.is_offline_mode():
        raise RuntimeError("the procrastinate objects to drop are found in the live database")
    with _driver_cursor() as cursor:
        cursor.execute(_OBJECTS_TO_DROP)
        statements = [row[0] for row in cursor.fetchall()]
        for statement in statements:
            cursor.execute(statement)
