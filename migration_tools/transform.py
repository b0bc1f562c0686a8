"""transform: export folder → rows per table (COPY text), following the mapping; bad documents → rejects.

Every Auth user becomes a users row, a personal organization (firebase_id "users/{uid}", named from the
users/{uid} profile document when there is one) and an owner membership. Every mapped document becomes
a row of its table whose firebase_id is the document's path, owned by the organization its mapping names.
Row ids are derived from (table, firebase_id), so the same export always yields the same rows; the
folder's fingerprint is therefore known from the export, mapping and region before any row is written,
and each table's file can be loaded as soon as it is complete (`on_table`), while later ones are still
being transformed.

This module runs the phases (the Auth users, then each mapped collection; with `parallel`, the Auth users
in a forked child beside the collections: auth_users_child) and writes transform.json. Its parts:
table_rows (a table's rows file, row ids), converters (column values from fields), scratch (the SQLite
stores of profiles and conversations) and transform_errors (TransformError, Rejected).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from migration_tools.auth_users_child import AuthUsersChild
from migration_tools.converters import Timestamps, column_reader
from migration_tools.export_folder import AUTH_STREAM, ExportFolder, sha256_file
from migration_tools.firestore_values import to_datetime
from migration_tools.hash_config import to_parameters
from migration_tools.mapping import AUTH, CollectionMapping, Mapping, table
from migration_tools.row_files import (
    LOAD_REJECTS_DIR,
    REJECTS,
    ROWS_DIR,
    TRANSFORM_MANIFEST,
    WARNINGS,
    rows_file,
)
from migration_tools.scratch import CONVERSATIONS_FILE, PROFILES_FILE, ConversationStore, ProfileStore
from migration_tools.table_rows import FIREBASE_ID_MAX, TableRows
from migration_tools.transform_errors import Rejected, TransformError
from reachimpact.services import firebase_scrypt

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
    # Transform the Auth users in a child process beside the collections (see auth_users_child).
    parallel: bool = False
    timestamps: Timestamps = field(default_factory=Timestamps)
    # rejects.jsonl and warnings.jsonl, open while it runs (the Auth users' child has its own).
    rejects_file: IO[str] | None = None
    warnings_file: IO[str] | None = None

    def open(self) -> None:
        (self.out / ROWS_DIR).mkdir(parents=True, exist_ok=True)
        for stale in [*(self.out / ROWS_DIR).glob("*.copy"), *(self.out / LOAD_REJECTS_DIR).glob("*.jsonl")]:
            stale.unlink()
        self.rejects_file = self.stack.enter_context((self.out / REJECTS).open("w", encoding="utf-8"))
        self.warnings_file = self.stack.enter_context((self.out / WARNINGS).open("w", encoding="utf-8"))
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
        assert self.rejects_file is not None
        self.rejects_file.write(json.dumps({"collection": collection, "path": path, "reason": reason}) + "\n")

    def warn(self, collection: str, path: str, message: str) -> None:
        self.reports[collection].warnings += 1
        assert self.warnings_file is not None
        self.warnings_file.write(
            json.dumps({"collection": collection, "path": path, "message": message}) + "\n"
        )

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
        readers = [
            column_reader(mapped, column, region=self.region, timestamps=self.timestamps, warn=self.warn)
            for column in mapped.columns
        ]
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

    def run(self) -> dict:
        self.open()
        child = AuthUsersChild.start(self) if self.parallel else None
        if child is None:
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
            if child is not None:
                child.join()
        finally:
            if child is not None:
                child.stop()
        return self.finish()

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


def _first(doc: dict, names: tuple[str, ...]) -> Any:
    for name in names:
        value = doc.get(name)
        if value not in (None, ""):
            return value
    return None


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
