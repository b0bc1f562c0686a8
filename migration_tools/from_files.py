"""Export from the files a Firebase admin already has, into an export folder.

DIR/auth_users.json is exactly what `firebase auth:export auth_users.json --format=json` writes
({"users": [{"localId", "email", "passwordHash", "salt", ...}]}); DIR/firestore.json (optional) holds
collections → documents, each document's subcollections nested under "__collections__" (the shape of the
common Firestore JSON export tools; a top-level "__collections__" wrapper is accepted too).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from migration_tools.export_folder import AUTH_STREAM, ExportWriter, collection_pattern
from migration_tools.firestore_values import COLLECTIONS

AUTH_USERS_FILE = "auth_users.json"
FIRESTORE_FILE = "firestore.json"
PAGE = 1000


class InputError(ValueError):
    pass


def _load_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path.name} is not valid JSON: {exc}") from exc


def iter_documents(tree: dict, prefix: str = "") -> Iterator[tuple[str, dict]]:
    """(path, fields) for every document of a nested collections tree, subcollections included."""
    if COLLECTIONS in tree and len(tree) == 1:
        tree = tree[COLLECTIONS]
    for collection, documents in tree.items():
        if not isinstance(documents, dict):
            raise InputError(f"collection {prefix}{collection} is not an object of documents")
        for doc_id, fields in documents.items():
            path = f"{prefix}{collection}/{doc_id}"
            if not isinstance(fields, dict):
                raise InputError(f"document {path} is not an object")
            data = {k: v for k, v in fields.items() if k != COLLECTIONS}
            yield path, data
            yield from iter_documents(fields.get(COLLECTIONS) or {}, f"{path}/")


def export_from_files(source_dir: Path, out: Path, *, hash_config: dict | None) -> dict:
    """Write the export folder `out` from DIR's files; returns the manifest."""
    auth_path = source_dir / AUTH_USERS_FILE
    if not auth_path.exists():
        raise InputError(f"{source_dir} has no {AUTH_USERS_FILE} (the output of `firebase auth:export`)")
    writer = ExportWriter(
        out, source={"kind": "files", "dir": str(source_dir.resolve())}, hash_config=hash_config
    )
    # Files are read whole, so a re-run simply writes every stream again from the start.
    writer.streams.clear()

    auth = _load_json(auth_path)
    if not isinstance(auth, dict) or not isinstance(auth.get("users"), list):
        raise InputError(f'{AUTH_USERS_FILE} must be {{"users": [...]}}, as `firebase auth:export` writes it')
    users = auth["users"]
    for start in range(0, len(users), PAGE):
        writer.write_page(AUTH_STREAM, users[start : start + PAGE], cursor=str(start + PAGE))
    writer.finish_stream(AUTH_STREAM)

    firestore_path = source_dir / FIRESTORE_FILE
    if firestore_path.exists():
        tree = _load_json(firestore_path)
        if not isinstance(tree, dict):
            raise InputError(f"{FIRESTORE_FILE} must be an object of collections")
        pages: dict[str, list[dict]] = {}
        for path, data in iter_documents(tree):
            stream = collection_pattern(path)
            page = pages.setdefault(stream, [])
            page.append({"path": path, "data": data})
            if len(page) >= PAGE:
                writer.write_page(stream, page, cursor=path)
                page.clear()
        for stream, page in pages.items():
            writer.write_page(stream, page, cursor=page[-1]["path"] if page else None)
            writer.finish_stream(stream)
    return writer.finish()
