"""Alembic owns the schema: the migrations build exactly the models, and come down cleanly."""

from __future__ import annotations

import os
import subprocess
import sys

import procrastinate
import psycopg
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, pool, text
from sqlmodel import SQLModel

import reachimpact.models  # noqa: F401 - fills SQLModel.metadata
from reachimpact.db import PROJECT_ROOT, libpq_url
from reachimpact.models.schema_filters import include_name, include_object
from tests.databases import alembic_config

# Everything of ours or procrastinate's that could be left in the schema after `downgrade base`.
_LEFTOVERS = """
SELECT 'relation ' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'i', 'c')
  AND c.relname NOT IN ('alembic_version', 'alembic_version_pkc')
UNION ALL
SELECT 'type ' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'r', 'm')
UNION ALL
SELECT 'routine ' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'public'
UNION ALL
SELECT 'trigger ' || g.tgname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND NOT g.tgisinternal
ORDER BY 1
"""


def _public_objects(url: str) -> list[str]:
    with psycopg.connect(libpq_url(url)) as conn:
        return [row[0] for row in conn.execute(_LEFTOVERS)]


def _schema_diff(url: str, **filters: object) -> list:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, **filters})
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


def _defer_a_job(url: str) -> None:
    app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=libpq_url(url)))

    @app.task(name="migrations_probe", queue="migrations_probe")
    def probe(n: int) -> None: ...

    with app.open():
        probe.defer(n=1)
    with psycopg.connect(libpq_url(url)) as conn:
        jobs = conn.execute("SELECT task_name, status::text, args FROM procrastinate_jobs").fetchall()
    assert jobs == [("migrations_probe", "todo", {"n": 1})]


def test_upgrade_downgrade_upgrade_on_an_empty_database(empty_database: str) -> None:
    # The command line, as a deploy runs it: the URL comes from DATABASE_URL through reachimpact.settings.
    cli = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        check=False,
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": empty_database},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr
    created = _public_objects(empty_database)
    assert "relation users" in created
    assert "relation procrastinate_jobs" in created
    assert "routine procrastinate_fetch_job_v2" in created
    _defer_a_job(empty_database)  # procrastinate's schema works, and the downgrade copes with rows in it

    config = alembic_config(empty_database)
    command.downgrade(config, "base")
    assert _public_objects(empty_database) == []

    command.upgrade(config, "head")
    assert _public_objects(empty_database) == created


def test_migrations_match_the_models(db_url: str) -> None:
    diff = _schema_diff(db_url, include_name=include_name, include_object=include_object)
    assert diff == [], "models and migrations disagree; write a revision for:\n" + "\n".join(map(str, diff))


def test_procrastinate_objects_are_left_to_procrastinate(db_url: str) -> None:
    # Without the filters autogenerate would propose dropping procrastinate's tables.
    unfiltered = _schema_diff(db_url)
    removed = {op[1].name for op in unfiltered if op[0] == "remove_table"}
    assert {"procrastinate_jobs", "procrastinate_events", "procrastinate_workers"} <= removed


def test_indexes_compared_by_hand_exist_as_the_models_define_them(db_url: str) -> None:
    """Alembic cannot compare these (reflection drops COLLATE): check them here, expression by expression."""
    expected = {
        index.name: [getattr(e, "name", str(e)).replace(" ", "") for e in index.expressions]
        for table in SQLModel.metadata.tables.values()
        for index in table.indexes
        if index.info.get("compared_by_hand")
    }
    assert expected, "no index is marked compared_by_hand: this test guards nothing"
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            actual = dict(
                conn.execute(
                    text("SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(:names)"),
                    {"names": list(expected)},
                ).all()
            )
    finally:
        engine.dispose()
    for name, expressions in expected.items():
        assert name in actual, f"index {name} is missing from the migrated database"
        definition = actual[name].replace(" ", "").replace("::text", "").replace("(", "").replace(")", "")
        for expression in expressions:
            assert expression.replace("(", "").replace(")", "") in definition, (
                name,
                expression,
                actual[name],
            )


def test_contact_phone_is_byte_wise_so_its_unique_index_serves_prefix_search(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            collation = conn.execute(
                text(
                    "SELECT collname FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation "
                    "WHERE attrelid = 'contacts'::regclass AND attname = 'phone'"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    assert collation == "C"
