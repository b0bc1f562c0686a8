"""The file-based path end to end: migrate, re-run, kill and resume, tamper, rejects, rollback."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from sqlmodel import Session, select

from migration_tools.export_folder import ExportFolder
from migration_tools.mapping import load_mapping
from migration_tools.sample_export import SampleExport
from migration_tools.transform import PROGRESS_EVERY, transform
from reachimpact.models import Call, Campaign, Contact, Conversation, Message, MigrationBatch, User
from tests.factories import make_member
from tests.migration_tools.conftest import run_folder, run_module, snapshot


@pytest.fixture
def sample() -> SampleExport:
    return SampleExport(users=4, contacts_per_user=5, calls_per_user=4, messages_per_user=4)


@pytest.fixture
def source(sample: SampleExport, tmp_path: Path) -> Path:
    return sample.write_files(tmp_path / "firebase")


def _export(cli, source: Path, out: Path):
    return cli("export", "--from-files", source, "--hash-config", source / "hash_config.json", "--out", out)


def _migrate(cli, source: Path, *extra: str, expect: int = 0):
    return cli(
        "migrate", "--from-files", source, "--hash-config", source / "hash_config.json", *extra, expect=expect
    )


def test_round_trip_keeps_every_document_and_its_links(
    cli, source: Path, sample: SampleExport, session: Session, tmp_path: Path
) -> None:
    result = _migrate(cli, source)
    assert "validation passed" in result.output
    folder = run_folder(tmp_path)
    assert (folder / "backup.dump").stat().st_size > 0  # pg_dump ran before the load
    assert "run=" in (folder / "run.log").read_text()

    assert len(session.exec(select(User)).all()) == 4
    assert len(session.exec(select(Contact)).all()) == 20
    assert len(session.exec(select(Call)).all()) == 16
    assert len(session.exec(select(Message)).all()) == 16
    contact = session.exec(select(Contact).where(Contact.firebase_id == "users/uid000001/contacts/c3")).one()
    assert contact.phone == "+14155010003"  # "(415) 501-0003" in E.164
    assert contact.custom_fields == {"ward": 3, "favouriteColour": "green"}  # unmapped field kept
    assert contact.created_at.isoformat() == "2020-09-13T12:26:41.003000+00:00"
    call = session.exec(select(Call).where(Call.firebase_id == "users/uid000001/calls/call1")).one()
    assert session.get(Contact, call.contact_id).firebase_id == "users/uid000001/contacts/c1"
    assert session.get(Campaign, call.campaign_id).firebase_id == "users/uid000001/campaigns/k0"
    assert call.organization_id == contact.organization_id
    message = session.exec(select(Message).where(Message.firebase_id == "users/uid000002/messages/m3")).one()
    conversation = session.get(Conversation, message.conversation_id)
    assert conversation.contact_id == message.contact_id
    assert conversation.last_message_preview == "Message 3"

    report = json.loads((folder / "validation.json").read_text())
    assert report["passed"] is True
    documents = {c["subject"]: c for c in report["checks"] if c["name"] == "documents"}
    assert "4 documents = 0 rows + 0 rejected + 4 skipped" in documents["users/*/analytics"]["detail"]
    batch = session.exec(select(MigrationBatch)).one()
    assert batch.status == "validated"


def _indexes_and_constraints(conninfo: str) -> set[tuple[str, ...]]:
    with psycopg.connect(conninfo) as conn:
        indexes = conn.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
        )
        constraints = conn.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = 'public'::regnamespace"
        )
        return {("index", *row) for row in indexes} | {("constraint", *row) for row in constraints}


def test_a_first_load_leaves_every_index_and_constraint_as_it_found_them(
    cli, source: Path, conninfo: str
) -> None:
    # Into empty tables the load builds the indexes after the rows (load._set_indexes_aside).
    before = _indexes_and_constraints(conninfo)
    _migrate(cli, source)

    assert _indexes_and_constraints(conninfo) == before
    with psycopg.connect(conninfo) as conn, pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute(
            "INSERT INTO contacts (organization_id, first_name, last_name, phone, tags, custom_fields, "
            "opt_out_calls, opt_out_sms, created_at, updated_at) "
            "SELECT organization_id, 'Twin', '', phone, '{}', '{}', false, false, now(), now() "
            "FROM contacts LIMIT 1"
        )


def test_a_conversation_starts_at_its_first_message_and_shows_its_last(
    cli, tmp_path: Path, session: Session
) -> None:
    source = SampleExport(users=2, contacts_per_user=2, messages_per_user=5).write_files(tmp_path / "fb")
    _migrate(cli, source, "--no-backup")
    conversations = session.exec(select(Conversation)).all()
    assert len(conversations) == 4
    for conversation in conversations:
        messages = session.exec(
            select(Message).where(Message.conversation_id == conversation.id).order_by(Message.created_at)
        ).all()
        assert conversation.created_at == messages[0].created_at
        assert conversation.last_message_at == messages[-1].created_at
        assert conversation.last_message_preview == messages[-1].body
    assert {
        len(session.exec(select(Message).where(Message.conversation_id == c.id)).all()) for c in conversations
    } == {2, 3}


def test_running_the_same_load_again_changes_nothing(
    cli, source: Path, conninfo: str, tmp_path: Path
) -> None:
    _migrate(cli, source)
    transformed = run_folder(tmp_path) / "transformed"
    before = snapshot(conninfo, include_bookkeeping=True)
    result = cli("load", transformed, "--no-backup")
    assert "inserted" in result.output
    after = snapshot(conninfo, include_bookkeeping=True)
    batches = after.pop("migration_batches"), before.pop("migration_batches")
    assert after == before
    assert len(batches[0]) == 1  # the same batch was resumed, not a second one
    # A whole second migrate from the same files also lands on the same rows.
    _migrate(cli, source, "--no-backup")
    again = snapshot(conninfo)
    for name in ("users", "contacts", "calls", "messages", "conversations", "organizations", "memberships"):
        assert again[name] == before[name], name


def _killed_after_contacts(*args: object, db_url: str, tmp_path: Path) -> None:
    """The CLI in a process of its own, SIGKILLed right after the contacts table commits."""
    killed = run_module(
        *map(str, args),
        "--no-backup",
        "--database-url",
        db_url,
        "--work-dir",
        str(tmp_path / "runs"),
        env={"MIGRATION_TOOLS_CRASH_AFTER": "contacts"},
    )
    assert killed.returncode == -9, killed.stderr


def test_a_killed_load_resumes_to_the_same_database(
    cli, source: Path, conninfo: str, db_url: str, tmp_path: Path
) -> None:
    _export(cli, source, tmp_path / "export")
    cli("transform", tmp_path / "export", "--out", tmp_path / "rows")

    _killed_after_contacts("load", tmp_path / "rows", db_url=db_url, tmp_path=tmp_path)
    partial = snapshot(conninfo)
    assert partial["contacts"] and not partial["calls"]  # it really stopped half-way

    cli("load", tmp_path / "rows", "--no-backup")
    resumed = snapshot(conninfo)
    with psycopg.connect(conninfo) as conn:
        assert conn.execute("SELECT count(*) FROM migration_batches").fetchone()[0] == 1
        batch_id = conn.execute("SELECT id FROM migration_batches").fetchone()[0]
    cli("validate", tmp_path / "rows")

    # The same rows from an uninterrupted load: roll the batch back and load once more.
    cli("rollback", str(batch_id))
    cli("load", tmp_path / "rows", "--no-backup")
    assert snapshot(conninfo) == resumed


def test_a_killed_migrate_resumes_to_the_same_database(
    cli, source: Path, conninfo: str, db_url: str, tmp_path: Path
) -> None:
    # migrate loads each table while later ones are still being transformed: killed there, the batch
    # must be found again by a new run (its fingerprint is known before the rows are all written).
    _killed_after_contacts(
        "migrate",
        "--from-files",
        source,
        "--hash-config",
        source / "hash_config.json",
        db_url=db_url,
        tmp_path=tmp_path,
    )
    partial = snapshot(conninfo)
    assert partial["contacts"] and not partial["messages"]

    _migrate(cli, source, "--no-backup")
    resumed = snapshot(conninfo)
    with psycopg.connect(conninfo) as conn:
        batches = conn.execute("SELECT id, status FROM migration_batches").fetchall()
    assert [status for _, status in batches] == ["validated"]

    cli("rollback", str(batches[0][0]))
    _migrate(cli, source, "--no-backup")
    assert snapshot(conninfo) == resumed


def test_a_tampered_row_fails_validation(cli, source: Path, conninfo: str, tmp_path: Path) -> None:
    _migrate(cli, source, "--no-backup")
    transformed = run_folder(tmp_path) / "transformed"
    with psycopg.connect(conninfo) as conn:
        conn.execute(
            "UPDATE calls SET duration_seconds = 999 WHERE firebase_id = 'users/uid000003/calls/call2'"
        )
    result = cli("validate", transformed, expect=1)
    assert "FAIL checksum calls" in result.output
    report = json.loads((run_folder(tmp_path) / "validation.json").read_text())
    checksum = next(c for c in report["checks"] if c["name"] == "checksum" and c["subject"] == "calls")
    assert checksum["data"]["differing"] == ["users/uid000003/calls/call2"]
    # The sample takes all 16 calls (50 rows a table), so it names the field too.
    sampled = next(c for c in report["checks"] if c["name"] == "sample" and c["subject"] == "calls")
    assert [(d["row"], d["field"], d["actual"]) for d in sampled["data"]["differences"]] == [
        ("users/uid000003/calls/call2", "duration_seconds", "999")
    ]
    # A deleted row is caught by the counts.
    with psycopg.connect(conninfo) as conn:
        conn.execute("DELETE FROM messages WHERE firebase_id = 'users/uid000000/messages/m1'")
    result = cli("validate", transformed, expect=1)
    assert "FAIL count messages" in result.output


def test_bad_documents_are_rejected_with_reasons_and_nothing_is_lost(
    cli, sample: SampleExport, tmp_path: Path, session: Session
) -> None:
    source = sample.write_files(tmp_path / "firebase")
    auth = json.loads((source / "auth_users.json").read_text())
    auth["users"].append(
        {"localId": "phoneonly", "phoneNumber": "+14155550999", "createdAt": "1600000000000"}
    )
    (source / "auth_users.json").write_text(json.dumps(auth))
    tree = json.loads((source / "firestore.json").read_text())
    user0 = tree["users"]["uid000000"]["__collections__"]
    user0["contacts"]["bad-phone"] = {"firstName": "No", "phone": "call me maybe"}
    user0["contacts"]["same-phone"] = {"firstName": "Twin", "phone": "+1 415 500 0001"}  # as c1
    user0["messages"]["orphan"] = {"body": "to nobody"}
    user0["messages"]["ghost"] = {"body": "hi", "contactId": "deleted-contact"}
    user0["calls"]["odd-status"] = {"contactId": "c0", "status": "teleported", "duration": 5}
    tree["legacyStuff"] = {"x": {"a": 1}}
    (source / "firestore.json").write_text(json.dumps(tree))

    _migrate(cli, source, "--no-backup")
    folder = run_folder(tmp_path) / "transformed"
    rejects = {
        r["path"]: r["reason"] for r in map(json.loads, (folder / "rejects.jsonl").read_text().splitlines())
    }
    assert "not a phone number" in rejects["users/uid000000/contacts/bad-phone"]
    assert "contactId is missing" in rejects["users/uid000000/messages/orphan"]
    assert "no email" in rejects["phoneonly"]
    assert rejects["legacyStuff/x"] == "no mapping for this collection"
    load_rejects = {
        r["firebase_id"]: r["reason"]
        for p in (folder / "load_rejects").glob("*.jsonl")
        for r in map(json.loads, p.read_text().splitlines())
    }
    assert "duplicate of users/uid000000/contacts/c1" in load_rejects["users/uid000000/contacts/same-phone"]
    assert "is not in the database" in load_rejects["users/uid000000/messages/ghost"]
    warnings = (folder / "warnings.jsonl").read_text()
    assert "unknown value 'teleported'" in warnings
    odd = session.exec(select(Call).where(Call.firebase_id == "users/uid000000/calls/odd-status")).one()
    assert odd.status == "completed"  # the mapping's default, reported above


def test_rollback_leaves_the_database_as_before_the_batch(
    cli, source: Path, conninfo: str, session: Session, tmp_path: Path
) -> None:
    make_member(session, org_name="Already here")
    before = snapshot(conninfo)
    _migrate(cli, source, "--no-backup")
    batch = session.exec(select(MigrationBatch)).one()
    assert snapshot(conninfo) != before

    cli("rollback", str(batch.id), "--dry-run")
    assert snapshot(conninfo) != before
    result = cli("rollback", str(batch.id))
    assert "contacts: 20 deleted" in result.output
    assert snapshot(conninfo) == before
    session.refresh(batch)
    assert batch.status == "rolled_back"
    cli("rollback", str(batch.id), expect=1)  # twice is refused


def test_rollback_refuses_when_the_app_added_rows_since(
    cli, source: Path, conninfo: str, session: Session
) -> None:
    _migrate(cli, source, "--no-backup")
    batch = session.exec(select(MigrationBatch)).one()
    org_id = session.exec(select(Contact.organization_id)).first()
    session.add(Contact(organization_id=org_id, phone="+14155559999", first_name="New"))
    session.commit()
    result = cli("rollback", str(batch.id), expect=1)
    assert "added since the load" in result.output
    cli("rollback", str(batch.id), "--force")
    assert session.exec(select(Contact)).all() == []


def test_status_lists_batches(cli, source: Path, session: Session) -> None:
    _migrate(cli, source, "--no-backup")
    result = cli("status")
    assert "validated" in result.output
    batch = session.exec(select(MigrationBatch)).one()
    assert str(batch.id) in result.output  # whole, as `rollback` takes it


def test_dry_run_writes_nothing(cli, source: Path, conninfo: str) -> None:
    before = snapshot(conninfo, include_bookkeeping=True)
    result = _migrate(cli, source, "--dry-run")
    assert "dry run: the database was not changed" in result.output
    assert snapshot(conninfo, include_bookkeeping=True) == before


def test_the_transform_reports_every_document_it_reads(cli, tmp_path: Path) -> None:
    sample = SampleExport(users=30, contacts_per_user=40, calls_per_user=2, messages_per_user=3)
    source = sample.write_files(tmp_path / "firebase")
    _export(cli, source, tmp_path / "export")
    export = ExportFolder.open(tmp_path / "export")
    read: list[int] = []

    transform(tmp_path / "export", tmp_path / "rows", load_mapping(None), on_progress=read.append)

    assert sum(read) == sum(export.streams().values()) > PROGRESS_EVERY
    assert max(read) == PROGRESS_EVERY  # a page at a time, not once at the end
