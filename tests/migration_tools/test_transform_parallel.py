"""The transform's Auth users phase in a forked child gives what running the phases in turn gives."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from migration_tools.export_folder import AUTH_STREAM, ExportWriter, collection_pattern
from migration_tools.mapping import load_mapping
from migration_tools.row_files import REJECTS, ROWS_DIR, TRANSFORM_MANIFEST, WARNINGS
from migration_tools.sample_export import SampleExport
from migration_tools.transform import TransformError, transform


def _export(
    folder: Path, *, hash_config: dict | None, extra_users: list[dict], extra_docs: list[dict]
) -> Path:
    sample = SampleExport(users=4, contacts_per_user=3)
    writer = ExportWriter(folder, source={"kind": "test"}, hash_config=hash_config)
    writer.write_page(AUTH_STREAM, [*sample.auth_users(), *extra_users], cursor=None)
    writer.finish_stream(AUTH_STREAM)
    streams: dict[str, list[dict]] = {}
    for path, data in sample.document_records():
        streams.setdefault(collection_pattern(path), []).append({"path": path, "data": data})
    for record in extra_docs:
        streams.setdefault(collection_pattern(record["path"]), []).append(record)
    for stream, records in streams.items():
        writer.write_page(stream, records, cursor=None)
        writer.finish_stream(stream)
    writer.finish()
    return folder


def _output(out: Path) -> dict[str, object]:
    manifest = json.loads((out / TRANSFORM_MANIFEST).read_text())
    del manifest["transformed_at"]
    return {
        "manifest": manifest,
        "rows": {p.name: p.read_bytes() for p in sorted((out / ROWS_DIR).glob("*.copy"))},
        "rejects": (out / REJECTS).read_text(),
        "warnings": (out / WARNINGS).read_text(),
        "leftovers": sorted(p.name for p in out.iterdir()),
    }


def test_the_same_rows_rejects_and_counts_as_in_turn(tmp_path: Path) -> None:
    export = _export(
        tmp_path / "export",
        hash_config=SampleExport().hash_config,
        extra_users=[
            {"localId": "no-email", "createdAt": "1700000000000"},  # rejected by the Auth users phase
            {"localId": "no-time", "email": "late@example.org"},  # warned: no createdAt
        ],
        extra_docs=[
            {"path": "users/ghost", "data": {"name": "Nobody's profile"}},
            {"path": "users/uid000000/contacts/bad", "data": {"phone": "call me"}},
            {"path": "users/uid000000/contacts/c0/notes/n1", "data": {"text": "unmapped"}},
        ],
    )
    announced: list[str] = []
    transform(
        export,
        tmp_path / "parallel",
        load_mapping(),
        parallel=True,
        on_table=lambda n, _: announced.append(n),
    )
    transform(export, tmp_path / "in_turn", load_mapping(), parallel=False)

    parallel, in_turn = _output(tmp_path / "parallel"), _output(tmp_path / "in_turn")
    assert parallel == in_turn
    rejected = [json.loads(line)["path"] for line in str(parallel["rejects"]).splitlines()]
    assert rejected[:2] == ["no-email", "users/ghost"]  # the Auth users' phase first, as in turn
    assert {"users/uid000000/contacts/bad", "users/uid000000/contacts/c0/notes/n1"} <= set(rejected)
    assert "no-time" in str(parallel["warnings"])
    assert sorted(announced) == sorted(in_turn["manifest"]["tables"])  # type: ignore[index]


def test_a_failure_in_the_child_fails_the_transform_with_its_reason(tmp_path: Path) -> None:
    export = _export(tmp_path / "export", hash_config=None, extra_users=[], extra_docs=[])
    with pytest.raises(TransformError, match="no hash config"):
        transform(export, tmp_path / "rows", load_mapping(), parallel=True)


# Run as a script by the test below: transforms an export in parallel and, as soon as the Auth users
# child reports progress (from the relay thread), kills this process the way `kill -9` would.
_KILLED_MID_RUN = """
import multiprocessing, os, signal, sys, threading
from pathlib import Path
from migration_tools.mapping import load_mapping
from migration_tools.transform import transform

def progress(n):
    if threading.current_thread().name == "transform-auth-users":
        [child] = multiprocessing.active_children()
        print(child.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

transform(Path(sys.argv[1]), Path(sys.argv[2]), load_mapping(), parallel=True, on_progress=progress)
"""


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status  # exited, its orphaned entry not yet reaped


def test_the_child_stops_when_the_parent_is_killed(tmp_path: Path) -> None:
    users = 5000
    sample = SampleExport(users=users)  # its Auth users only: no documents
    writer = ExportWriter(tmp_path / "export", source={"kind": "test"}, hash_config=sample.hash_config)
    writer.write_page(AUTH_STREAM, sample.auth_users(), cursor=None)
    writer.finish_stream(AUTH_STREAM)
    writer.finish()

    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_MID_RUN, str(tmp_path / "export"), str(tmp_path / "out")],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    child = int(killed.stdout.split()[0])
    deadline = time.monotonic() + 30
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(child)
    # It stopped at its next message to the dead parent, well before the end of the Auth users.
    written = (tmp_path / "out" / ROWS_DIR / "users.copy").read_text().count("\n")
    assert written < users
