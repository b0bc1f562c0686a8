"""transform: export folder → rows per table (COPY text), following the mapping; bad documents → rejects.

Every Auth user becomes a users row, a personal organization (firebase_id "users/{uid}", named from the
users/{uid} profile document when there is one) and an owner membership. Every mapped document becomes
a row of its table whose firebase_id is the document's path, owned by the organization its mapping names.
Row ids are derived from (table, firebase_id), so the same export always yields the same rows; the
folder's fingerprint is therefore known from the export, mapping and region before any row is written,
and each table's file can be loaded as soon as it is complete (`on_table`), while later ones are still
being transformed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import shutil
import sqlite3
import sys
import threading
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from migration_tools.export_folder import AUTH_STREAM, ExportFolder, collection_pattern, sha256_file
from migration_tools.firestore_values import reference_path, to_datetime
from migration_tools.hash_config import to_parameters
from migration_tools.mapping import AUTH, CollectionMapping, ColumnMapping, Mapping, table
from migration_tools.row_files import (
    LOAD_REJECTS_DIR,
    REJECTS,
    ROWS_DIR,
    TRANSFORM_MANIFEST,
    WARNINGS,
    copy_line,
    rows_file,
)
from reachimpact.errors import Invalid
from reachimpact.services import firebase_scrypt
from reachimpact.services.phones import normalize_phone

ROW_NAMESPACE = uuid.UUID("5b0d7c3e-5f0e-4d1a-9a57-2f1f3c0e8a11")
FIREBASE_ID_MAX = 128
PROFILES_FILE = "profiles.sqlite"
CONVERSATIONS_FILE = "conversations.sqlite"
PROGRESS_EVERY = 1000
# Part of the fingerprint: bump it when the same export and mapping would give different rows.
ROWS_FORMAT = 2
CONVERSATION_PREFIX = "conversation:"
MEMBERSHIP_SOURCE = "auth/membership"
_USER_COLUMNS = [
    "email",
    "password_hash",
    "name",
    "phone",
    "photo_url",
    "time_zone",
    "email_verified",
    "disabled",
    "last_login_at",
    "firebase_auth",
    "created_at",
    "updated_at",
]
# auth:export fields that have a column; everything else a user carries is kept in users.firebase_auth.
_AUTH_COLUMN_FIELDS = {
    "localId",
    "email",
    "passwordHash",
    "salt",
    "displayName",
    "photoUrl",
    "emailVerified",
    "disabled",
    "createdAt",
    "lastSignedInAt",
}


class TransformError(Exception):
    """The export cannot be transformed at all (as opposed to one bad document, which is rejected)."""


class Rejected(Exception):
    """One document cannot become a row; the message is the reason written to rejects.jsonl."""


_NAMESPACE_SHA1 = hashlib.sha1(ROW_NAMESPACE.bytes)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def row_id(table_name: str, firebase_id: str) -> str:
    """uuid5(ROW_NAMESPACE, "table:firebase_id") as text, without building a UUID object per row."""
    digest = _NAMESPACE_SHA1.copy()
    digest.update(f"{table_name}:{firebase_id}".encode())
    x = digest.hexdigest()
    return f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{_VARIANT[x[16]]}{x[17:20]}-{x[20:32]}"


# Organisations' own numbers recur in every call and message; contacts' numbers mostly do not. A small
# cache keeps the first without letting memory grow with the export (65,536 entries cost 10 MB by
# 100k documents, for no measurable speed).
@lru_cache(maxsize=1 << 12)
def _phone(raw: str, region: str) -> str:
    return normalize_phone(raw, region)


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


@dataclass
class TableRows:
    """The rows file of one table, being written."""

    name: str
    data: list[str]
    refs: dict[str, dict]  # column → {"table", "required", "store"}
    handle: IO[str]
    count: int = 0
    fields: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.fields = [*self.data, *self.refs]

    @property
    def columns(self) -> list[str]:
        return ["source", "id", "firebase_id", *self.data, *self.refs]

    def write(self, source: str, firebase_id: str, values: dict[str, Any]) -> str:
        """Write one row; returns its id."""
        if len(firebase_id) > FIREBASE_ID_MAX:
            raise Rejected(f"id is longer than {FIREBASE_ID_MAX} characters")
        get = values.get
        identifier = row_id(self.name, firebase_id)
        self.handle.write(copy_line([source, identifier, firebase_id, *[get(c) for c in self.fields]]))
        self.count += 1
        return identifier


@dataclass
class CollectionReport:
    documents: int = 0
    rows: int = 0
    rejected: int = 0
    skipped: int = 0
    skip_reason: str | None = None
    warnings: int = 0
    unmapped_fields: Counter = field(default_factory=Counter)


@dataclass
class Transformer:
    export: ExportFolder
    mapping: Mapping
    out: Path
    stack: ExitStack
    region: str = "US"
    tables: dict[str, TableRows] = field(default_factory=dict)
    reports: dict[str, CollectionReport] = field(default_factory=lambda: defaultdict(CollectionReport))
    auth_summary: Counter = field(default_factory=Counter)
    fallback_time: datetime = field(default_factory=lambda: datetime.now(UTC))
    on_table: Callable[[str, dict], None] | None = None
    # Told how many more documents were read, a page at a time (progress bars).
    on_progress: Callable[[int], None] | None = None
    finished_tables: dict[str, dict] = field(default_factory=dict)
    # Transform the Auth users in a child process beside the collections (see _AuthUsersAside).
    parallel: bool = False
    _last_timestamp: tuple[Any, datetime] | None = None
    _rejects: IO[str] | None = None
    _warnings: IO[str] | None = None

    def open(self) -> None:
        (self.out / ROWS_DIR).mkdir(parents=True, exist_ok=True)
        for stale in [*(self.out / ROWS_DIR).glob("*.copy"), *(self.out / LOAD_REJECTS_DIR).glob("*.jsonl")]:
            stale.unlink()
        self._rejects = self.stack.enter_context((self.out / REJECTS).open("w", encoding="utf-8"))
        self._warnings = self.stack.enter_context((self.out / WARNINGS).open("w", encoding="utf-8"))
        exported_at = self.export.manifest.get("exported_at")
        if exported_at:
            self.fallback_time = datetime.fromisoformat(exported_at)

    def table_rows(self, name: str, data: list[str], refs: dict[str, dict]) -> TableRows:
        if name not in self.tables:
            handle = self.stack.enter_context(rows_file(self.out, name).open("w", encoding="utf-8"))
            self.tables[name] = TableRows(name, data, refs, handle)
        return self.tables[name]

    def reject(self, collection: str, path: str, reason: str) -> None:
        self.reports[collection].rejected += 1
        assert self._rejects is not None
        self._rejects.write(json.dumps({"collection": collection, "path": path, "reason": reason}) + "\n")

    def warn(self, collection: str, path: str, message: str) -> None:
        self.reports[collection].warnings += 1
        assert self._warnings is not None
        self._warnings.write(json.dumps({"collection": collection, "path": path, "message": message}) + "\n")

    def read(self, stream: str) -> Iterator[dict]:
        """The stream's records, counted out to `on_progress` (each stream is read once)."""
        read = 0
        for read, record in enumerate(self.export.read(stream), 1):
            if self.on_progress and read % PROGRESS_EVERY == 0:
                self.on_progress(PROGRESS_EVERY)
            yield record
        if self.on_progress and read % PROGRESS_EVERY:
            self.on_progress(read % PROGRESS_EVERY)

    # --- Auth users, their profiles and personal organizations ------------------------------------------

    def profiles(self) -> ProfileStore:
        """users/{uid} documents by uid, read before the Auth users stream."""
        collection = self.mapping.auth.profile_collection
        store = ProfileStore(self.out / PROFILES_FILE)
        for record in self.read(collection):
            self.reports[collection].documents += 1
            store.put(record["path"].split("/")[-1], record.get("data") or {})
        return store

    def auth_users(self) -> None:
        with contextlib.closing(self.profiles()) as profiles:
            self._auth_users(profiles)

    def _auth_users(self, profiles: ProfileStore) -> None:
        profile_collection = self.mapping.auth.profile_collection
        hash_config = self.export.manifest.get("hash_config")
        params = to_parameters(hash_config) if hash_config else None
        users = self.table_rows("users", _USER_COLUMNS, {})
        orgs = self.table_rows(
            "organizations",
            ["name", "time_zone", "settings", "created_at", "updated_at"],
            {"owner": {"table": "users", "required": True, "store": False}},
        )
        members = self.table_rows(
            "memberships",
            ["role", "created_at"],
            {
                "organization_id": {"table": "organizations", "required": True, "store": True},
                "user_id": {"table": "users", "required": True, "store": True},
            },
        )
        report = self.reports[AUTH]
        for user in self.read(AUTH_STREAM):
            report.documents += 1
            uid = str(user.get("localId") or "")
            try:
                if not uid:
                    raise Rejected("no localId")
                profile = profiles.take(uid)
                user_values = self._user_values(user, profile, params)
                org_path = f"{profile_collection}/{uid}"
                org_values = self._organization_values(user_values, profile, uid)
                users.write(AUTH, uid, user_values)
                orgs.write(profile_collection, org_path, org_values)
                members.write(
                    MEMBERSHIP_SOURCE,
                    uid,
                    {
                        "role": "owner",
                        "created_at": user_values["created_at"],
                        "organization_id": org_path,
                        "user_id": uid,
                    },
                )
                report.rows += 1
            except Rejected as exc:
                self.reject(AUTH, uid, str(exc))
        for uid in profiles.untaken():
            self.reject(
                profile_collection, f"{profile_collection}/{uid}", "profile of a user not in Firebase Auth"
            )
        self.reports[profile_collection].rows = len(profiles) - self.reports[profile_collection].rejected

    def _user_values(self, user: dict, profile: dict, params: Any) -> dict[str, Any]:
        email = str(user.get("email") or "").strip().lower()
        if not email:
            raise Rejected("no email address: ReachImpact signs in by email")
        password_hash = None
        if user.get("passwordHash"):
            if params is None:
                raise TransformError(
                    "the export has password hashes but no hash config: pass --hash-config "
                    "(Firebase console → Authentication → Users → Password hash parameters)"
                )
            if not user.get("salt"):
                raise Rejected("password hash without a salt")
            try:
                password_hash = firebase_scrypt.format_hash(
                    params, salt=user["salt"], password_hash=user["passwordHash"]
                )
            except ValueError as exc:
                raise Rejected(f"password hash or salt is not base64: {exc}") from exc
        else:
            self.auth_summary["without_password"] += 1
        auth_extra = {k: v for k, v in user.items() if k not in _AUTH_COLUMN_FIELDS}
        created = self._auth_moment(user, "createdAt", auth_extra)
        if created is None:
            created = self.fallback_time
            self.warn(AUTH, user["localId"], "no readable createdAt: the export's time stands in")
        if isinstance(auth_extra.get("customAttributes"), str):
            try:
                auth_extra["customAttributes"] = json.loads(auth_extra["customAttributes"])
            except json.JSONDecodeError:
                self.warn(AUTH, user["localId"], "customAttributes is not JSON: kept as its text")
        phone = _first(profile, self.mapping.auth.user_phone) or user.get("phoneNumber")
        return {
            "email": email[:320],
            "password_hash": password_hash,
            "name": str(user.get("displayName") or "")[:200],
            "phone": str(phone)[:32] if phone else None,
            "photo_url": user.get("photoUrl"),
            "time_zone": str(_first(profile, self.mapping.auth.user_time_zone) or "America/New_York")[:64],
            "email_verified": bool(user.get("emailVerified", False)),
            "disabled": bool(user.get("disabled", False)),
            "last_login_at": self._auth_moment(user, "lastSignedInAt", auth_extra),
            "firebase_auth": auth_extra,
            "created_at": created,
            "updated_at": created,
        }

    def _organization_values(self, user_values: dict, profile: dict, uid: str) -> dict[str, Any]:
        auth = self.mapping.auth
        name = _first(profile, auth.organization_name) or (
            f"{user_values['name'] or user_values['email']}'s organization"
        )
        used = {*auth.organization_name, *auth.organization_time_zone, *auth.user_phone, *auth.user_time_zone}
        rest = {k: v for k, v in profile.items() if k not in used}
        for key in rest:
            self.reports[auth.profile_collection].unmapped_fields[key] += 1
        return {
            "name": str(name)[:200],
            "time_zone": str(_first(profile, auth.organization_time_zone) or "America/New_York")[:64],
            # The profile's other fields stay with the organization, for the record and for export-back.
            "settings": {"firebase_profile": rest} if rest else {},
            "created_at": user_values["created_at"],
            "updated_at": user_values["created_at"],
            "owner": uid,
        }

    def _auth_moment(self, user: dict, name: str, auth_extra: dict[str, Any]) -> datetime | None:
        """An Auth user's time field; one that cannot be read is reported and kept, as it came, with the
        user's other Firebase fields."""
        value = user.get(name)
        if value in (None, ""):
            return None
        try:
            return to_datetime(value)
        except (ValueError, OverflowError, TypeError):
            self.warn(AUTH, user["localId"], f"{name}: {value!r} is not a time; kept in firebase_auth")
            auth_extra[name] = value
            return None

    # --- mapped collections -------------------------------------------------------------------------------

    def collection(self, mapped: CollectionMapping) -> None:
        with ExitStack() as stack:
            self._collection(mapped, stack)

    def _collection(self, mapped: CollectionMapping, stack: ExitStack) -> None:
        report = self.reports[mapped.pattern]
        if mapped.skip:
            report.skip_reason = mapped.skip
            for _ in self.read(mapped.pattern):
                report.documents += 1
                report.skipped += 1
            return
        assert mapped.table is not None
        target = table(mapped.table)
        readers = [self._reader(mapped, column) for column in mapped.columns]
        data = [c.name for c in mapped.columns if c.type != "ref"]
        for name in ("created_at", "updated_at"):
            if name in target.c and name not in data:
                data.append(name)
        refs = {"organization_id": {"table": "organizations", "required": True, "store": True}}
        for column in mapped.columns:
            if column.type == "ref":
                nullable = target.c[column.name].nullable
                refs[column.name] = {
                    "table": self.mapping.table_for(column.ref or ""),
                    "required": column.required or not nullable,
                    "store": True,
                }
        conversations = store = None
        if mapped.conversation:
            store = stack.enter_context(contextlib.closing(ConversationStore(self.out / CONVERSATIONS_FILE)))
            refs["conversation_id"] = {"table": "conversations", "required": True, "store": True}
            conversations = self.table_rows(
                "conversations",
                ["created_at", "last_message_at", "last_message_preview"],
                {
                    "organization_id": {"table": "organizations", "required": True, "store": True},
                    "contact_id": {"table": "contacts", "required": True, "store": True},
                },
            )
        rows = self.table_rows(mapped.table, data, refs)
        mapped_fields = {f for c in mapped.columns for f in c.fields}
        for record in self.read(mapped.pattern):
            report.documents += 1
            path = record["path"]
            doc = record.get("data") or {}
            wild = path.split("/")[1::2][:-1]
            try:
                values: dict[str, Any] = {"organization_id": (mapped.organization or "").format(*wild)}
                for reader in readers:
                    reader(path, wild, doc, values)
                extra = {k: v for k, v in doc.items() if k not in mapped_fields}
                for key in extra:
                    report.unmapped_fields[key] += 1
                if extra and mapped.extra:
                    values[mapped.extra] = {**(values.get(mapped.extra) or {}), **extra}
                for name in ("created_at", "updated_at"):
                    if name in data and values.get(name) is None:
                        values[name] = values.get("created_at") or self.fallback_time
                contact = None
                if store is not None:
                    contact = values.get(mapped.conversation or "")
                    if not contact:
                        raise Rejected("a message needs its contact (for its conversation)")
                    values["conversation_id"] = CONVERSATION_PREFIX + contact
                    if len(values["conversation_id"]) > FIREBASE_ID_MAX:
                        raise Rejected(f"its conversation's id is longer than {FIREBASE_ID_MAX} characters")
                message_id = rows.write(mapped.pattern, path, values)
                if store is not None:
                    store.add(
                        values["conversation_id"], values["organization_id"], contact, message_id, values
                    )
                report.rows += 1
            except Rejected as exc:
                self.reject(mapped.pattern, path, str(exc))
        if conversations is not None and store is not None:
            for conversation_id, values in store.rows():
                conversations.write(f"{mapped.pattern}#conversation", conversation_id, values)

    def _reader(self, mapped: CollectionMapping, column: ColumnMapping) -> Callable[..., None]:
        """A function that reads `column` from a document into `values`, raising Rejected when it cannot."""
        convert = self._converter(column)
        fields = column.fields
        name = column.name
        default = column.default
        required = column.required
        nullable = table(mapped.table or "").c[name].nullable
        pattern = mapped.pattern

        def read(path: str, wild: list[str], doc: dict, values: dict[str, Any]) -> None:
            raw = None
            for candidate in fields:
                raw = doc.get(candidate)
                if raw is not None:
                    break
            if raw is None or raw == "":
                if required:
                    raise Rejected(f"{fields[0]} is missing")
                values[name] = default
                return
            try:
                values[name] = convert(raw, wild)
            except Rejected:
                raise
            except (ValueError, TypeError, OverflowError, Invalid) as exc:
                if required or (default is None and not nullable):
                    raise Rejected(f"{fields[0]}: {exc}") from None
                self.warn(pattern, path, f"{fields[0]}: {exc}; kept {default!r}")
                values[name] = default

        return read

    def _converter(self, column: ColumnMapping) -> Callable[[Any, list[str]], Any]:
        kind = column.type
        max_length = column.max_length
        region = self.region
        if kind == "text":

            def text(raw: Any, wild: list[str]) -> str:
                if isinstance(raw, dict | list):
                    raise ValueError("is not text")
                value = str(raw)
                if max_length and len(value) > max_length:
                    raise ValueError(f"is longer than {max_length} characters")
                return value

            return text
        if kind == "int":

            def integer(raw: Any, wild: list[str]) -> int:
                if isinstance(raw, bool) or not isinstance(raw, int | float | str):
                    raise ValueError(f"{raw!r} is not a whole number")
                number = float(raw)
                if not number.is_integer() or abs(number) > 2**31 - 1:
                    raise ValueError(f"{raw!r} is not a whole number")
                return int(number)

            return integer
        if kind == "float":
            return lambda raw, wild: float(raw) if not isinstance(raw, bool | dict | list) else _bad(raw)
        if kind == "bool":

            def boolean(raw: Any, wild: list[str]) -> bool:
                if isinstance(raw, bool):
                    return raw
                if raw in (0, 1) or str(raw).lower() in ("true", "false", "0", "1", "yes", "no"):
                    return str(raw).lower() in ("1", "true", "yes")
                raise ValueError(f"{raw!r} is not true or false")

            return boolean
        if kind == "timestamp":
            return self._timestamp
        if kind == "phone":
            return lambda raw, wild: _phone(str(raw), region)
        if kind == "text_array":

            def text_array(raw: Any, wild: list[str]) -> list[str]:
                if isinstance(raw, str):
                    return [raw]
                if isinstance(raw, list) and all(isinstance(v, str | int | float) for v in raw):
                    return [str(v) for v in raw]
                raise ValueError("is not a list of words")

            return text_array
        if kind == "json":

            def json_value(raw: Any, wild: list[str]) -> Any:
                if not isinstance(raw, dict | list):
                    raise ValueError("is not an object")
                return raw

            return json_value
        if kind == "enum":
            values = column.values
            default = column.default

            def enum(raw: Any, wild: list[str]) -> str:
                found = values.get(str(raw)) or values.get(str(raw).lower())
                if found is None:
                    raise ValueError(
                        f"unknown value {raw!r}" + (f" (default {default!r})" if default else "")
                    )
                return found

            return enum
        # ref
        target = column.ref or ""

        def ref(raw: Any, wild: list[str]) -> str:
            path = reference_path(raw)
            if path is None:
                if not isinstance(raw, str):
                    raise ValueError(f"{raw!r} is not a document id or reference")
                path = raw.strip("/")
            if target == AUTH:
                return path.split("/")[-1]
            if "/" not in path:
                return f"{target.format(*wild)}/{path}"  # in the target collection by construction
            if collection_pattern(path) != collection_pattern(f"{target.format(*wild)}/x"):
                raise ValueError(f"{path!r} is not in {target.format(*wild)}")
            return path

        return ref

    def _timestamp(self, raw: Any, wild: list[str]) -> datetime:
        # Columns often read the same field (updated_at falls back to createdAt): the last value read
        # is converted once. It is kept referenced here, so its id cannot be another object's.
        last = self._last_timestamp
        if last is not None and last[0] is raw:
            return last[1]
        moment = to_datetime(raw)
        self._last_timestamp = (raw, moment)
        return moment

    def run(self) -> dict:
        self.open()
        aside = _AuthUsersAside.start(self) if self.parallel else None
        if aside is None:
            self.auth_users()
            self.tables_done()
        try:
            streams = set(self.export.collections()) - {self.mapping.auth.profile_collection}
            for pattern, mapped in self.mapping.collections.items():
                self.collection(mapped)
                self.tables_done()
                streams.discard(pattern)
            for pattern in sorted(streams):
                # Nothing is dropped silently: a collection the mapping does not name is rejected whole.
                for record in self.read(pattern):
                    self.reports[pattern].documents += 1
                    self.reject(pattern, record["path"], "no mapping for this collection")
            if aside is not None:
                aside.join()
        finally:
            if aside is not None:
                aside.stop()
        return self.finish()

    def run_auth_users_in_child(self, send: Any) -> None:
        """The child's side of _AuthUsersAside: this object is the parent's, as it was when forked."""
        try:
            self.tables, self.finished_tables = {}, {}
            with ExitStack() as stack:
                self.stack = stack  # the parent's stack and handles are left untouched
                self._rejects = stack.enter_context(_aside(self.out / REJECTS).open("w", encoding="utf-8"))
                self._warnings = stack.enter_context(_aside(self.out / WARNINGS).open("w", encoding="utf-8"))
                self.on_table = lambda name, entry: send.send(("table", (name, entry)))
                self.on_progress = lambda n: send.send(("progress", n))
                self.auth_users()
                self.tables_done()
            send.send(("done", (dict(self.reports), self.auth_summary)))
        except BaseException as exc:  # the parent raises it, if it is still there to hear it
            with contextlib.suppress(OSError):
                send.send(("failed", exc if isinstance(exc, TransformError) else RuntimeError(repr(exc))))

    def tables_done(self) -> None:
        """Every table written so far is complete: each table is filled by one phase (the Auth users, or
        one collection), which has ended. Announce them to `on_table`."""
        for name, rows in self.tables.items():
            if name in self.finished_tables:
                continue
            rows.handle.flush()
            self.finished_tables[name] = entry = {
                "columns": rows.columns,
                "data": rows.data,
                "refs": rows.refs,
                "rows": rows.count,
                "sha256": sha256_file(rows_file(self.out, name)),
            }
            if self.on_table:
                self.on_table(name, entry)

    def finish(self) -> dict:
        self.tables_done()
        tables = self.finished_tables
        manifest = {
            "export_folder": str(self.export.folder.resolve()),
            "export_fingerprint": self.export.fingerprint,
            "source": self.export.manifest.get("source"),
            "fingerprint": fingerprint(self.export, self.mapping, self.region),
            "transformed_at": datetime.now(UTC).isoformat(),
            "tables": tables,
            "collections": {
                name: {
                    "documents": r.documents,
                    "rows": r.rows,
                    "rejected": r.rejected,
                    "skipped": r.skipped,
                    "skip_reason": r.skip_reason,
                    "warnings": r.warnings,
                    "unmapped_fields": dict(r.unmapped_fields.most_common()),
                }
                for name, r in sorted(self.reports.items())
            },
            "auth": {"users_without_password": self.auth_summary["without_password"]},
        }
        (self.out / TRANSFORM_MANIFEST).write_text(json.dumps(manifest, indent=2, default=str) + "\n")
        return manifest


def _aside(path: Path) -> Path:
    """Where the Auth users' child writes its part of a shared file (rejects, warnings)."""
    return path.with_name(path.name + ".auth")


class _AuthUsersAside:
    """The Auth users phase (users, organizations, memberships) in a forked child process, while this
    process transforms the collections: the two phases share nothing, and the load can start on the
    organizations while the contacts are still being read. The child writes its tables' rows files, and
    its rejects and warnings beside ours; it sends each finished table and its progress as it goes, and
    its counts at the end, which `join` merges. Forked, not spawned: a fresh interpreter would spend half
    a second importing what this one has."""

    def __init__(self, parent: Transformer, context: Any) -> None:
        self.parent = parent
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(target=self._child, args=(send,), daemon=True)
        self.process.start()
        send.close()
        self.tables: dict[str, dict] = {}
        self.outcome: tuple[str, Any] | None = None
        self.relay = threading.Thread(target=self._relay, name="transform-auth-users", daemon=True)
        self.relay.start()

    @classmethod
    def start(cls, parent: Transformer) -> _AuthUsersAside | None:
        """The child started, or None where processes cannot be forked (the caller runs the phase)."""
        if "fork" not in multiprocessing.get_all_start_methods():
            return None
        sys.stdout.flush()  # the child flushes these as it exits: nothing of ours may be in them twice
        sys.stderr.flush()
        return cls(parent, multiprocessing.get_context("fork"))

    def _child(self, send: Any) -> None:
        # With the parent's end of the pipe closed here, the child's sends fail as soon as the parent is
        # gone (killed mid-run), and the child stops instead of writing on into a folder a re-run may use.
        self.receive.close()
        self.parent.run_auth_users_in_child(send)

    def _relay(self) -> None:
        try:
            while True:
                kind, value = self.receive.recv()
                if kind == "table":
                    name, entry = value
                    self.tables[name] = entry
                    if self.parent.on_table:
                        self.parent.on_table(name, entry)
                elif kind == "progress":
                    if self.parent.on_progress:
                        self.parent.on_progress(value)
                else:
                    self.outcome = (kind, value)
                    return
        except EOFError:
            self.outcome = ("failed", TransformError("the Auth users' transform stopped unexpectedly"))
        except BaseException as exc:  # on_table refused the table (the load failed): stop the child
            self.outcome = ("failed", exc)
            self.process.kill()

    def join(self) -> None:
        """Wait for the child; merge its tables (first, as when run in turn), counts and rejects."""
        self.relay.join()
        assert self.outcome is not None
        kind, value = self.outcome
        if kind == "failed":
            raise value
        reports, auth_summary = value
        parent = self.parent
        parent.reports.update(reports)
        parent.auth_summary.update(auth_summary)
        parent.finished_tables = {**self.tables, **parent.finished_tables}
        # The Auth users' rejects and warnings come first in each file, as when the phases run in turn.
        for name, handle in ((REJECTS, parent._rejects), (WARNINGS, parent._warnings)):
            assert handle is not None
            handle.flush()
            ours = parent.out / f"{name}.collections"
            shutil.copyfile(parent.out / name, ours)
            handle.seek(0)
            handle.truncate()
            for part in (_aside(parent.out / name), ours):
                with part.open(encoding="utf-8") as lines:
                    handle.writelines(lines)
                part.unlink()

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.relay.join()
        self.receive.close()


def _first(doc: dict, names: tuple[str, ...]) -> Any:
    for name in names:
        value = doc.get(name)
        if value not in (None, ""):
            return value
    return None


def _bad(raw: Any) -> Any:
    raise ValueError(f"{raw!r} is not a number")


def fingerprint(export: ExportFolder, mapping: Mapping, region: str) -> str:
    """The identity of the rows an export becomes: its content and password hash parameters, the mapping
    and the region (the rows follow from these alone). Loading the same rows again finds the batch by it
    and resumes that batch."""
    digest = hashlib.sha256(f"rows format {ROWS_FORMAT}\n{export.fingerprint}\n{region}\n".encode())
    for part in (export.manifest.get("hash_config"), mapping.source):
        digest.update(json.dumps(part, sort_keys=True, default=str).encode() + b"\n")
    return digest.hexdigest()


def transform(
    export_dir: Path,
    out: Path,
    mapping: Mapping,
    *,
    region: str = "US",
    on_table: Callable[[str, dict], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    parallel: bool = True,
) -> dict:
    """Transform a complete export folder into `out`; returns transform.json's content. `on_table(name,
    entry)` is called as each table's rows file is complete, with its transform.json entry (from another
    thread, when `parallel`); `on_progress(n)` as n more documents have been read."""
    export = ExportFolder.open(export_dir)
    with ExitStack() as stack:
        return Transformer(
            export,
            mapping,
            out,
            stack,
            region=region,
            on_table=on_table,
            on_progress=on_progress,
            parallel=parallel,
        ).run()


def iter_rejects(folder: Path) -> Iterator[dict]:
    path = folder / REJECTS
    if path.exists():
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)
