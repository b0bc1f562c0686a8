"""A pg_dump of the target database, taken before a load writes anything."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from sqlalchemy import make_url


class BackupError(Exception):
    pass


def pg_dump(conninfo: str, destination: Path) -> Path:
    """Dump the database in pg_dump's custom format (restore with pg_restore) to `destination`."""
    binary = shutil.which("pg_dump")
    if binary is None:
        raise BackupError(
            "pg_dump is not installed (Debian: apt-get install postgresql-client); or use --no-backup"
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    url = make_url(conninfo)
    completed = subprocess.run(
        [binary, "--format=custom", "--no-owner", f"--file={destination}", f"--dbname={conninfo}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise BackupError(f"pg_dump of {url.database} failed: {completed.stderr.strip()}")
    return destination
