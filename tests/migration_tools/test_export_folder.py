"""The export folder reads back exactly what was written, whichever JSON reader it picks per stream."""

from __future__ import annotations

import json
import math
from pathlib import Path

from migration_tools.export_folder import STATE, ExportFolder, ExportWriter

CONTACTS = "users/*/contacts"
ODD = "users/*/ledgers"


def _write(folder: Path, streams: dict[str, list[dict]]) -> ExportFolder:
    writer = ExportWriter(folder, source={"kind": "test"})
    for stream, records in streams.items():
        writer.write_page(stream, records, cursor=None)
        writer.finish_stream(stream)
    writer.finish()
    return ExportFolder.open(folder)


def test_numbers_json_alone_reads_exactly_come_back_exactly(tmp_path: Path) -> None:
    plain = [{"path": f"users/u1/contacts/c{i}", "data": {"n": i, "x": 0.1 * i, "s": "é"}} for i in range(3)]
    odd = [
        {"path": "users/u1/ledgers/big", "data": {"balance": 123456789012345678901234567890}},
        {"path": "users/u1/ledgers/low", "data": {"balance": -9223372036854775809}},
        {"path": "users/u1/ledgers/nan", "data": {"balance": math.nan}},
    ]
    export = _write(tmp_path, {CONTACTS: plain, ODD: odd})

    files = export.manifest["files"]
    assert files["documents/users.contacts.jsonl"]["fast_json"] is True
    assert files["documents/users.ledgers.jsonl"]["fast_json"] is False
    assert list(export.read(CONTACTS)) == plain
    big, low, nan = (record["data"]["balance"] for record in export.read(ODD))
    assert (big, type(big)) == (123456789012345678901234567890, int)
    assert (low, type(low)) == (-9223372036854775809, int)
    assert math.isnan(nan)


def test_a_stream_resumed_from_an_older_state_file_reads_the_careful_way(tmp_path: Path) -> None:
    record = {"path": "users/u1/contacts/c1", "data": {"n": 1}}
    writer = ExportWriter(tmp_path, source={"kind": "test"})
    writer.write_page(CONTACTS, [record], cursor="c1")
    state = json.loads((tmp_path / STATE).read_text())
    del state["streams"][CONTACTS]["fast_json"]  # as an export from before the field was written
    (tmp_path / STATE).write_text(json.dumps(state))

    resumed = ExportWriter(tmp_path, source={"kind": "test"})
    resumed.write_page(CONTACTS, [{**record, "path": "users/u1/contacts/c2"}], cursor="c2")
    resumed.finish_stream(CONTACTS)
    resumed.finish()

    export = ExportFolder.open(tmp_path)
    assert export.manifest["files"]["documents/users.contacts.jsonl"]["fast_json"] is False
    assert [r["path"] for r in export.read(CONTACTS)] == ["users/u1/contacts/c1", "users/u1/contacts/c2"]
