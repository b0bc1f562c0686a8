"""Loading again after the app changed things, and two loads at once."""

from __future__ import annotations

from pathlib import Path

import psycopg

from migration_tools.load import LOAD_LOCK
from migration_tools.sample_export import SampleExport
from tests.migration_tools.conftest import run_folder


def _migrate(cli, tmp_path: Path) -> Path:
    source = SampleExport(users=2, contacts_per_user=3).write_files(tmp_path / "firebase")
    cli("migrate", "--from-files", source, "--hash-config", source / "hash_config.json", "--no-backup")
    return run_folder(tmp_path) / "transformed"


def test_a_row_the_app_deleted_comes_back_and_keeps_its_batch(cli, conninfo: str, tmp_path: Path) -> None:
    transformed = _migrate(cli, tmp_path)
    contact = "users/uid000001/contacts/c2"
    with psycopg.connect(conninfo) as conn:
        mapped = "SELECT batch_id, row_id FROM migration_id_map WHERE firebase_id = %s"
        before = conn.execute(mapped, (contact,)).fetchone()
        conn.execute("DELETE FROM contacts WHERE firebase_id = %s", (contact,))
        conn.execute(
            "UPDATE contacts SET notes = 'edited in the app' WHERE firebase_id LIKE 'users/uid000000/%'"
        )

    result = cli("load", transformed, "--no-backup")
    assert "contacts" in result.output

    with psycopg.connect(conninfo) as conn:
        back = conn.execute("SELECT id FROM contacts WHERE firebase_id = %s", (contact,)).fetchone()
        assert back == (before[1],)
        # Its id map entry was already there (the deleted row's): the same batch still owns it.
        assert conn.execute(mapped, (contact,)).fetchall() == [before]
        counts = conn.execute("SELECT counts -> 'contacts' FROM migration_batches").fetchone()[0]
        assert (counts["inserted"], counts["updated"], counts["unchanged"]) == (1, 3, 2)
        notes = conn.execute("SELECT DISTINCT notes FROM contacts").fetchall()
        assert notes == [(None,)]  # the export's value again
    cli("validate", transformed)


def test_a_second_load_at_the_same_time_is_refused(cli, conninfo: str, tmp_path: Path) -> None:
    transformed = _migrate(cli, tmp_path)
    with psycopg.connect(conninfo) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (LOAD_LOCK,))
        result = cli("load", transformed, "--no-backup", expect=1)
        assert "another load is running" in result.output
    cli("load", transformed, "--no-backup")
