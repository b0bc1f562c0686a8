"""`migrate` into a database that has no ReachImpact schema yet: Alembic's schema first, then the data."""

from __future__ import annotations

from pathlib import Path

import psycopg
from typer.testing import CliRunner, Result

from migration_tools.cli import app
from migration_tools.sample_export import SampleExport
from reachimpact.db import libpq_url
from reachimpact.schema import revisions


def _migrate(url: str, tmp_path: Path, *extra: str) -> Result:
    source = SampleExport(users=2, contacts_per_user=3, calls_per_user=1, messages_per_user=1).write_files(
        tmp_path / "firebase"
    )
    argv = ["migrate", "--from-files", str(source), "--hash-config", str(source / "hash_config.json")]
    argv += ["--database-url", url, "--work-dir", str(tmp_path / "runs"), *extra]
    return CliRunner().invoke(app, argv, catch_exceptions=False)


def test_migrate_creates_the_schema_of_an_empty_database_then_loads(
    empty_database: str, tmp_path: Path
) -> None:
    result = _migrate(empty_database, tmp_path)

    assert result.exit_code == 0, result.output
    assert "validation passed" in result.output
    current, head = revisions(empty_database)
    assert current == head
    with psycopg.connect(libpq_url(empty_database)) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM contacts").fetchone() == (6,)


def test_a_dry_run_says_the_schema_is_missing_and_changes_nothing(
    empty_database: str, tmp_path: Path
) -> None:
    result = _migrate(empty_database, tmp_path, "--dry-run")

    assert result.exit_code == 1
    assert "no ReachImpact schema" in result.output
    assert revisions(empty_database)[0] is None
