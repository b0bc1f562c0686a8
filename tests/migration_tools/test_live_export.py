"""export from the Firebase emulators with firebase-admin: Auth users with their scrypt hashes (URL-safe
base64, as the Admin SDK returns them) and Firestore documents with subcollections, Timestamps and
references; page by page, resumable after a kill."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from migration_tools.firestore_values import DATATYPE
from migration_tools.sample_export import SampleExport
from reachimpact.api.app import create_api
from reachimpact.models import Call, Campaign, Contact, User
from tests.migration_tools.conftest import run_module
from tests.migration_tools.emulators import (
    auth_emulator,
    firestore_emulator,
    missing_auth_emulator,
    missing_firestore_emulator,
)


@pytest.fixture(scope="module")
def emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    reason = missing_auth_emulator() or missing_firestore_emulator()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("emulators")
    with auth_emulator(folder) as auth_host, firestore_emulator(folder) as firestore_host:
        yield {"FIREBASE_AUTH_EMULATOR_HOST": auth_host, "FIRESTORE_EMULATOR_HOST": firestore_host}


@pytest.fixture
def emulator_env(emulators: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in emulators.items():
        monkeypatch.setenv(name, value)
    return emulators


def _native(value, client):
    if isinstance(value, dict):
        if value.get(DATATYPE) == "timestamp":
            v = value["value"]
            return datetime.fromtimestamp(v["_seconds"] + v["_nanoseconds"] / 1e9, UTC)
        if value.get(DATATYPE) == "documentReference":
            return client.document(value["value"])
        return {k: _native(v, client) for k, v in value.items()}
    if isinstance(value, list):
        return [_native(v, client) for v in value]
    return value


def seed(project: str, sample: SampleExport) -> None:
    """Put the sample's users into the Auth emulator (real scrypt hashes via import_users) and its
    documents into the Firestore emulator."""
    import firebase_admin
    from firebase_admin import auth
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import firestore

    app = firebase_admin.initialize_app(None, {"projectId": project}, name=f"seed-{project}")
    try:
        config = sample.hash_config
        hash_alg = auth.UserImportHash.scrypt(
            key=base64.b64decode(config["base64_signer_key"]),
            rounds=config["rounds"],
            memory_cost=config["mem_cost"],
            salt_separator=base64.b64decode(config["base64_salt_separator"]),
        )
        records = [
            auth.ImportUserRecord(
                uid=u["localId"],
                email=u["email"],
                display_name=u["displayName"],
                email_verified=u["emailVerified"],
                password_hash=base64.b64decode(u["passwordHash"]) if "passwordHash" in u else None,
                password_salt=base64.b64decode(u["salt"]) if "salt" in u else None,
                custom_claims={"plan": "pro"},
            )
            for u in sample.auth_users()
        ]
        result = auth.import_users(records, hash_alg=hash_alg, app=app)
        assert result.failure_count == 0, [e.reason for e in result.errors]
    finally:
        firebase_admin.delete_app(app)
    client = firestore.Client(project=project, credentials=AnonymousCredentials())
    batch = client.batch()
    for i, (path, fields) in enumerate(sample.document_records(), start=1):
        batch.set(client.document(path), _native(fields, client))
        if i % 400 == 0:
            batch.commit()
            batch = client.batch()
    batch.commit()


def test_migrate_from_the_emulators_keeps_passwords_and_subcollections(
    cli, emulator_env: dict[str, str], tmp_path: Path, session: Session
) -> None:
    sample = SampleExport(users=3, passwords={"uid000001": "emulated secret"})
    seed("demo-live-migrate", sample)
    config = tmp_path / "hash_config.json"
    config.write_text(json.dumps(sample.hash_config))

    cli("migrate", "--project", "demo-live-migrate", "--hash-config", config, "--no-backup")

    assert len(session.exec(select(Contact)).all()) == 12
    user = session.exec(select(User).where(User.firebase_id == "uid000001")).one()
    assert user.firebase_auth["customAttributes"] == {"plan": "pro"}
    call = session.exec(select(Call).where(Call.firebase_id == "users/uid000002/calls/call1")).one()
    assert (
        session.get(Campaign, call.campaign_id).firebase_id == "users/uid000002/campaigns/k0"
    )  # a reference
    assert call.created_at.isoformat() == "2020-09-13T12:26:42.001000+00:00"  # a Timestamp
    with TestClient(create_api()) as client:
        response = client.post(
            "/api/auth/login", json={"email": "user1@example.org", "password": "emulated secret"}
        )
    assert response.status_code == 200, response.text
    session.refresh(user)
    assert user.password_hash.startswith("$2b$")


def test_a_killed_export_resumes_after_the_last_page(
    cli, emulator_env: dict[str, str], tmp_path: Path
) -> None:
    sample = SampleExport(users=3, contacts_per_user=5)
    seed("demo-live-resume", sample)
    out = tmp_path / "export"
    args = ["export", "--project", "demo-live-resume", "--page-size", "4", "--out", out]
    killed = run_module(
        *args,
        "--work-dir",
        tmp_path / "runs",
        env={**emulator_env, "MIGRATION_TOOLS_CRASH_AFTER": "page:users/*/contacts"},
    )
    assert killed.returncode == -9, killed.stderr
    assert not (out / "manifest.json").exists()
    assert len((out / "documents" / "users.contacts.jsonl").read_text().splitlines()) == 4

    cli(*args)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["files"]["documents/users.contacts.jsonl"]["count"] == 15
    assert manifest["files"]["auth_users.jsonl"]["count"] == 3
    paths = [
        json.loads(line)["path"]
        for line in (out / "documents" / "users.contacts.jsonl").read_text().splitlines()
    ]
    assert len(paths) == len(set(paths)) == 15
