"""Helpers for the migration tools' tests: run the CLI, and photograph the database to compare states."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlmodel import SQLModel
from typer.testing import CliRunner

import reachimpact.models  # noqa: F401 - fills SQLModel.metadata
from migration_tools.cli import app
from reachimpact.db import PROJECT_ROOT, libpq_url

BOOKKEEPING = {"migration_batches", "migration_id_map"}


@pytest.fixture
def conninfo(db_url: str) -> str:
    return libpq_url(db_url)


@pytest.fixture
def cli(db_url: str, tmp_path: Path):
    """Run `python -m migration_tools ARGS` in-process against the test database; returns the result."""
    runner = CliRunner()

    def run(*args: str, expect: int | None = 0):
        argv = [str(a) for a in args]
        if argv[0] in {"load", "validate", "rollback", "export-back", "status", "migrate"}:
            argv += ["--database-url", db_url]
        if argv[0] != "status":
            argv += ["--work-dir", str(tmp_path / "runs")]
        result = runner.invoke(app, argv, catch_exceptions=False)
        if expect is not None:
            assert result.exit_code == expect, result.output
        return result

    return run


def run_module(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The CLI in its own process (for tests that kill it)."""
    return subprocess.run(
        [sys.executable, "-m", "migration_tools", *map(str, args)],
        cwd=PROJECT_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def snapshot(conninfo: str, *, include_bookkeeping: bool = False) -> dict[str, list[tuple]]:
    """Every row of every application table, in a stable order."""
    tables = [
        t.name for t in SQLModel.metadata.sorted_tables if include_bookkeeping or t.name not in BOOKKEEPING
    ]
    with psycopg.connect(conninfo) as conn:
        return {name: conn.execute(f"SELECT * FROM {name} ORDER BY 1").fetchall() for name in tables}


def run_folder(root: Path) -> Path:
    """The newest run folder under `root`."""
    return sorted(p for p in (root / "runs").iterdir() if p.is_dir())[-1]
