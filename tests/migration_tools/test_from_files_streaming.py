"""`migrate --from-files` streams auth_users.json and firestore.json instead of reading them whole."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlmodel import Session, select

from migration_tools.sample_export import SampleExport
from reachimpact.db import PROJECT_ROOT
from reachimpact.models import Call, Contact, Organization, User
from tests.migration_tools.conftest import run_folder


def test_streamed_files_keep_nested_subcollections_in_any_key_order(
    cli, tmp_path: Path, session: Session
) -> None:
    sample = SampleExport(users=3, contacts_per_user=2, calls_per_user=2, messages_per_user=1)
    source = sample.write_files(tmp_path / "firebase")
    tree = sample.firestore_tree()
    user0 = tree["users"]["uid000000"]
    # "__collections__" before the document's own fields: its subcollections stream out before the
    # document is complete.
    tree["users"]["uid000000"] = {"__collections__": user0.pop("__collections__"), **user0}
    contacts = tree["users"]["uid000000"]["__collections__"]["contacts"]
    contacts["c0"]["firstName"] = "Zoë"
    contacts["c0"]["customFields"] = {"score": 2.5, "seen": [1, None, {"deep": True}]}
    # A sub-subcollection the mapping does not name: streamed too, and rejected with its reason.
    contacts["c0"]["__collections__"] = {"notes": {"n1": {"text": "call back"}}}
    tree["users"]["uid000001"]["__collections__"]["calls"] = {}
    tree["users"]["ghost"] = {"organizationName": "Nobody's"}  # a profile without an Auth user
    # The top-level wrapper some export tools write; auth:export's file with a key besides "users".
    (source / "firestore.json").write_text(json.dumps({"__collections__": tree}, ensure_ascii=False))
    auth = json.loads((source / "auth_users.json").read_text())
    (source / "auth_users.json").write_text(json.dumps({"kind": "export", **auth}))

    result = cli(
        "migrate", "--from-files", source, "--hash-config", source / "hash_config.json", "--no-backup"
    )
    assert "validation passed" in result.output

    assert len(session.exec(select(User)).all()) == 3
    assert len(session.exec(select(Organization)).all()) == 3
    assert len(session.exec(select(Contact)).all()) == 6
    assert len(session.exec(select(Call)).all()) == 4  # user 1's calls collection is empty
    zoe = session.exec(select(Contact).where(Contact.firebase_id == "users/uid000000/contacts/c0")).one()
    assert zoe.first_name == "Zoë"
    assert zoe.custom_fields == {
        "score": 2.5,
        "seen": [1, None, {"deep": True}],
        "favouriteColour": "green",
    }
    org = session.exec(select(Organization).where(Organization.firebase_id == "users/uid000000")).one()
    assert org.name == "Org 0"
    rejects = (run_folder(tmp_path) / "transformed" / "rejects.jsonl").read_text().splitlines()
    assert [json.loads(r) for r in rejects] == [
        {"collection": "users", "path": "users/ghost", "reason": "profile of a user not in Firebase Auth"},
        {
            "collection": "users/*/contacts/*/notes",
            "path": "users/uid000000/contacts/c0/notes/n1",
            "reason": "no mapping for this collection",
        },
    ]


def test_subcollections_may_sit_straight_under_their_document(cli, tmp_path: Path, session: Session) -> None:
    """{"users": {"uid": {"name": ..., "contacts": {"c0": {...}}}}}: "contacts" is the mapping's
    users/*/contacts, so a subcollection; a map field the mapping does not name stays a field."""
    sample = SampleExport(users=2, contacts_per_user=2, calls_per_user=1, messages_per_user=1)
    source = sample.write_files(tmp_path / "firebase")
    tree = sample.firestore_tree()
    for user in tree["users"].values():
        user.update(user.pop("__collections__"))
    user0 = tree["users"]["uid000000"]
    user0["preferences"] = {"theme": {"dark": True}}  # a map of maps, but not a mapped collection
    (source / "firestore.json").write_text(json.dumps(tree))

    cli("migrate", "--from-files", source, "--hash-config", source / "hash_config.json", "--no-backup")

    assert len(session.exec(select(Contact)).all()) == 4
    assert len(session.exec(select(Call)).all()) == 2
    assert session.exec(select(Contact).where(Contact.firebase_id == "users/uid000000/contacts/c1")).one()
    rejects = (run_folder(tmp_path) / "transformed" / "rejects.jsonl").read_text()
    assert rejects == ""
    transform_report = json.loads((run_folder(tmp_path) / "transformed" / "transform.json").read_text())
    unmapped = transform_report["collections"]["users"]["unmapped_fields"]
    assert unmapped["preferences"] == 1
    assert not {"contacts", "calls", "messages"} & set(unmapped)


def test_unreadable_auth_fields_are_reported_and_kept(cli, tmp_path: Path, session: Session) -> None:
    sample = SampleExport(users=2, contacts_per_user=1, calls_per_user=0, messages_per_user=0)
    source = sample.write_files(tmp_path / "firebase")
    auth = json.loads((source / "auth_users.json").read_text())
    odd = auth["users"][1]
    odd.update(createdAt="last spring", lastSignedInAt="never", customAttributes="{not json")
    (source / "auth_users.json").write_text(json.dumps(auth))

    cli("migrate", "--from-files", source, "--hash-config", source / "hash_config.json", "--no-backup")

    user = session.exec(select(User).where(User.firebase_id == odd["localId"])).one()
    assert user.last_login_at is None
    assert {k: user.firebase_auth[k] for k in ("createdAt", "lastSignedInAt", "customAttributes")} == {
        "createdAt": "last spring",
        "lastSignedInAt": "never",
        "customAttributes": "{not json",
    }
    warnings = (run_folder(tmp_path) / "transformed" / "warnings.jsonl").read_text().splitlines()
    assert [json.loads(w)["message"] for w in warnings] == [
        "createdAt: 'last spring' is not a time; kept in firebase_auth",
        "no readable createdAt: the export's time stands in",
        "customAttributes is not JSON: kept as its text",
        "lastSignedInAt: 'never' is not a time; kept in firebase_auth",
    ]


def test_a_broken_file_is_reported_not_half_migrated(cli, tmp_path: Path) -> None:
    source = SampleExport(users=2).write_files(tmp_path / "firebase")
    text = (source / "firestore.json").read_text()
    (source / "firestore.json").write_text(text[: len(text) // 2])
    result = cli("migrate", "--from-files", source, "--hash-config", source / "hash_config.json", expect=None)
    assert result.exit_code != 0
    assert "firestore.json is not valid JSON" in result.output


_PEAK_RSS = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from migration_tools.from_files import export_from_files
    manifest = export_from_files(Path(sys.argv[1]), Path(sys.argv[2]), hash_config=None)
    print(sum(f["count"] for f in manifest["files"].values()))
    # VmHWM, not ru_maxrss: a child's ru_maxrss starts from its parent's (here pytest's) at fork.
    status = Path("/proc/self/status").read_text().splitlines()
    print(next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) // 1024)
    """
)


def _export_peak_rss_mb(source: Path, out: Path) -> tuple[int, int]:
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS, str(source), str(out)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    records, peak = done.stdout.split()
    return int(records), int(peak)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="measures VmHWM in /proc (Linux)")
def test_memory_does_not_grow_with_the_files(tmp_path: Path) -> None:
    sizes = {}
    for users in (500, 2000):
        sample = SampleExport(users=users)
        source = sample.write_files(tmp_path / f"firebase-{users}")
        records, peak = _export_peak_rss_mb(source, tmp_path / f"export-{users}")
        assert records == users + sample.document_count
        sizes[users] = (peak, (source / "firestore.json").stat().st_size // 2**20)
    (small, _), (large, large_file_mb) = sizes[500], sizes[2000]
    # Reading the files whole grew the peak by ~35 MB here (several times the 8 MB the larger
    # firestore.json adds); streamed, what stays in memory is one page per collection.
    assert large - small < 12, f"peak RSS {small} MB → {large} MB with a {large_file_mb} MB firestore.json"
