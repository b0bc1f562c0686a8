"""Migrated users sign in with their Firebase passwords, and are moved onto bcrypt as they do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from migration_tools.sample_export import SampleExport
from reachimpact.api.app import create_api
from reachimpact.models import Membership, Organization, User
from tests.migration_tools.conftest import run_folder


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_api()) as c:
        yield c


def _login(client: TestClient, email: str, password: str) -> int:
    return client.post("/api/auth/login", json={"email": email, "password": password}).status_code


@pytest.mark.parametrize(
    "urlsafe", [False, True], ids=["auth-export-standard-base64", "admin-sdk-url-safe-base64"]
)
def test_migrated_user_signs_in_with_firebase_password_then_has_bcrypt(
    cli, client: TestClient, session: Session, tmp_path: Path, urlsafe: bool
) -> None:
    sample = SampleExport(
        users=3,
        contacts_per_user=1,
        passwords={"uid000000": "firebase secret", "uid000001": "short6"},
        without_password={"uid000002"},
        urlsafe=urlsafe,
    )
    source = sample.write_files(tmp_path / "firebase")
    cli("migrate", "--from-files", source, "--hash-config", source / "hash_config.json", "--no-backup")

    user = session.exec(select(User).where(User.firebase_id == "uid000000")).one()
    assert user.password_hash.startswith("firebase-scrypt$8$14$")
    assert _login(client, "user0@example.org", "wrong password") == 401
    assert _login(client, "user0@example.org", "firebase secret") == 200
    session.refresh(user)
    assert user.password_hash.startswith("$2b$12$")
    assert _login(client, "user0@example.org", "firebase secret") == 200  # now through bcrypt

    # Firebase allowed 6-character passwords: such a user gets in (and onto bcrypt) too.
    assert _login(client, "user1@example.org", "short6") == 200
    # A user who never had a Firebase password must reset it.
    nopass = session.exec(select(User).where(User.firebase_id == "uid000002")).one()
    assert nopass.password_hash is None
    assert _login(client, "user2@example.org", "anything at all") == 401

    # Each user owns a personal organization named from their profile document.
    membership = session.exec(select(Membership).where(Membership.user_id == user.id)).one()
    assert membership.role == "owner"
    assert session.get(Organization, membership.organization_id).name == "Org 0"

    report = (run_folder(tmp_path) / "validation.md").read_text()
    assert "users who must reset their password (no Firebase password hash) | 1" in report
