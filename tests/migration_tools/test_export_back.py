"""export-back writes what Firebase imports; feeding it back through migrate gives the same rows."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

from sqlmodel import Session, select

from migration_tools.sample_export import SampleExport
from reachimpact.models import MigrationBatch
from reachimpact.services import firebase_scrypt
from tests.migration_tools.conftest import snapshot


def test_export_back_round_trips_through_migrate(
    cli, tmp_path: Path, conninfo: str, session: Session
) -> None:
    sample = SampleExport(users=3, passwords={"uid000000": "firebase secret"}, without_password={"uid000002"})
    source = sample.write_files(tmp_path / "firebase")
    cli("migrate", "--from-files", source, "--hash-config", source / "hash_config.json", "--no-backup")
    migrated = snapshot(conninfo)

    back = tmp_path / "back"
    rehearsal = cli("export-back", "--out", back, "--dry-run")
    assert "users/*/contacts: 12" in rehearsal.output
    assert not back.exists()
    result = cli("export-back", "--out", back)
    assert "users/*/contacts: 12" in result.output
    auth = json.loads((back / "auth_users.json").read_text())["users"]
    original = {u["localId"]: u for u in json.loads((source / "auth_users.json").read_text())["users"]}
    first = next(u for u in auth if u["localId"] == "uid000000")
    assert first["passwordHash"] == original["uid000000"]["passwordHash"]
    assert first["salt"] == original["uid000000"]["salt"]
    assert first["createdAt"] == original["uid000000"]["createdAt"]
    assert first["providerUserInfo"] == original["uid000000"]["providerUserInfo"]
    assert "passwordHash" not in next(u for u in auth if u["localId"] == "uid000002")
    params = firebase_scrypt.HashParameters.from_console(
        **{k: v for k, v in sample.hash_config.items() if k != "algorithm"}
    )
    assert firebase_scrypt.derive_hash(
        "firebase secret", base64.b64decode(first["salt"]), params
    ) == base64.b64decode(first["passwordHash"])
    assert "--rounds=8 --mem-cost=14" in (back / "IMPORT.md").read_text()
    tree = json.loads((back / "firestore.json").read_text())
    call = tree["users"]["uid000001"]["__collections__"]["calls"]["call0"]
    assert call["campaignId"] == {
        "__datatype__": "documentReference",
        "value": "users/uid000001/campaigns/k0",
    }
    assert call["status"] == "no-answer"

    # Going back and coming again lands on exactly the same rows.
    batch = session.exec(select(MigrationBatch)).one()
    cli("rollback", str(batch.id))
    shutil.copy(source / "hash_config.json", back / "hash_config.json")
    cli("migrate", "--from-files", back, "--hash-config", back / "hash_config.json", "--no-backup")
    assert snapshot(conninfo) == migrated
