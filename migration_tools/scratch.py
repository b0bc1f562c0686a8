"""The transform's scratch stores: SQLite files beside the rows that hold what it must remember across
documents (users/{uid} profiles until their Auth user comes, the conversations made from messages), so
that memory stays flat however large the export."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PROFILES_FILE = "profiles.sqlite"
CONVERSATIONS_FILE = "conversations.sqlite"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class _ScratchDb:
    """A SQLite file beside the rows that holds what the transform must remember across documents, so
    that memory stays flat however large the export; deleted when closed."""

    def __init__(self, path: Path, schema: str) -> None:
        path.unlink(missing_ok=True)
        self.path = path
        self.db = sqlite3.connect(path)
        # A scratch file: no journal, no fsync.
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute(schema)

    def close(self) -> None:
        self.db.close()
        self.path.unlink(missing_ok=True)


class ProfileStore(_ScratchDb):
    """users/{uid} documents by uid; `take` looks one up and marks it as belonging to an Auth user."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            path, "CREATE TABLE profile (uid TEXT PRIMARY KEY, data TEXT NOT NULL, taken INTEGER)"
        )

    def put(self, uid: str, data: dict) -> None:
        self.db.execute(
            "INSERT INTO profile (uid, data) VALUES (?, ?) "
            "ON CONFLICT (uid) DO UPDATE SET data = excluded.data",
            (uid, json.dumps(data, ensure_ascii=False)),
        )

    def take(self, uid: str) -> dict:
        row = self.db.execute("UPDATE profile SET taken = 1 WHERE uid = ? RETURNING data", (uid,)).fetchone()
        return json.loads(row[0]) if row else {}

    def untaken(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT uid FROM profile WHERE taken IS NULL ORDER BY rowid")]

    def __len__(self) -> int:
        return self.db.execute("SELECT count(*) FROM profile").fetchone()[0]


class ConversationStore(_ScratchDb):
    """The conversations made from messages: each starts at its first message and shows its last one,
    as the app keeps them. Written with those times and preview, the load need not update every
    conversation again once its messages are in."""

    def __init__(self, path: Path) -> None:
        # Moments as microseconds since the epoch (ISO strings do not sort); a message's row id breaks
        # ties between equal times, as the load's ORDER BY created_at DESC, id DESC does.
        super().__init__(
            path,
            "CREATE TABLE conversation (id TEXT PRIMARY KEY, organization_id TEXT, contact_id TEXT, "
            "first_at INTEGER, first TEXT, last_at INTEGER, last_id TEXT, last TEXT, preview TEXT)",
        )

    def add(
        self, conversation_id: str, organization_id: str, contact_id: str, message_id: str, message: dict
    ) -> None:
        """Count one message (its row id and values) in its conversation."""
        created: datetime = message["created_at"]
        at = (created - _EPOCH) // _MICROSECOND
        moment = created.isoformat()
        self.db.execute(
            """INSERT INTO conversation VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET
                 first = CASE WHEN excluded.first_at < first_at THEN excluded.first ELSE first END,
                 first_at = min(first_at, excluded.first_at),
                 last = CASE WHEN (excluded.last_at, excluded.last_id) > (last_at, last_id)
                             THEN excluded.last ELSE last END,
                 preview = CASE WHEN (excluded.last_at, excluded.last_id) > (last_at, last_id)
                                THEN excluded.preview ELSE preview END,
                 last_id = CASE WHEN (excluded.last_at, excluded.last_id) > (last_at, last_id)
                                THEN excluded.last_id ELSE last_id END,
                 last_at = max(last_at, excluded.last_at)""",
            (
                conversation_id,
                organization_id,
                contact_id,
                at,
                moment,
                at,
                message_id,
                moment,
                (message.get("body") or "")[:200],
            ),
        )

    def rows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for conversation_id, organization_id, contact_id, first, last, preview in self.db.execute(
            "SELECT id, organization_id, contact_id, first, last, preview FROM conversation ORDER BY rowid"
        ):
            yield (
                conversation_id,
                {
                    "organization_id": organization_id,
                    "contact_id": contact_id,
                    "created_at": first,
                    "last_message_at": last,
                    "last_message_preview": preview,
                },
            )
