"""Export from the files a Firebase admin already has, into an export folder.

DIR/auth_users.json is exactly what `firebase auth:export auth_users.json --format=json` writes
({"users": [{"localId", "email", "passwordHash", "salt", ...}]}); DIR/firestore.json (optional) holds
collections → documents, each document's subcollections nested under "__collections__" (the shape of the
common Firestore JSON export tools; a top-level "__collections__" wrapper is accepted too) or directly
under the document, as a field named for a subcollection the mapping knows ("contacts" inside a
users/{uid} document when the mapping has users/*/contacts).

Both files are streamed (ijson), so memory holds one page per collection, never the whole file: an
export of millions of documents migrates in the memory of a small one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path
from typing import IO, Any

import ijson

from migration_tools.export_folder import AUTH_STREAM, ExportWriter, collection_pattern
from migration_tools.firestore_values import COLLECTIONS

AUTH_USERS_FILE = "auth_users.json"
FIRESTORE_FILE = "firestore.json"
PAGE = 1000

# (event, value) pairs from ijson.basic_parse.
Events = Iterator[tuple[str, Any]]


class InputError(ValueError):
    pass


def _value(events: Events, event: str, value: Any) -> Any:
    """The JSON value that starts with (event, value), read from `events` to its end."""
    if event == "start_map":
        found: dict[str, Any] = {}
        for event, value in events:
            if event == "end_map":
                return found
            key = value
            found[key] = _value(events, *next(events))
    if event == "start_array":
        items: list[Any] = []
        for event, value in events:
            if event == "end_array":
                return items
            items.append(_value(events, event, value))
    return value


def _documents(events: Events, prefix: str, nested: Collection[str]) -> Iterator[tuple[str, dict]]:
    """(path, fields) for every document of the collections object whose start_map was just read.

    `nested`: collection patterns ("users/*/contacts") whose documents may also sit straight under their
    parent document, without the "__collections__" key."""
    for event, collection in events:
        if event == "end_map":
            return
        event, _ = next(events)
        if collection == COLLECTIONS and not prefix and event == "start_map":
            # The top-level "__collections__" wrapper some export tools write.
            yield from _documents(events, prefix, nested)
            continue
        if event != "start_map":
            raise InputError(f"collection {prefix}{collection} is not an object of documents")
        yield from _collection(events, f"{prefix}{collection}", nested)


def _collection(events: Events, collection: str, nested: Collection[str]) -> Iterator[tuple[str, dict]]:
    """(path, fields) for every document of the collection whose start_map was just read."""
    for event, doc_id in events:
        if event == "end_map":
            return
        path = f"{collection}/{doc_id}"
        event, _ = next(events)
        if event != "start_map":
            raise InputError(f"document {path} is not an object")
        data: dict[str, Any] = {}
        for event, key in events:
            if event == "end_map":
                break
            event, value = next(events)
            # Subcollections come out before their parent document is complete: each goes to its own
            # stream, so the order between them does not matter.
            if key == COLLECTIONS:
                if event == "start_map":
                    yield from _documents(events, f"{path}/", nested)
                elif event != "null":
                    raise InputError(f"{path}: {COLLECTIONS} is not an object of collections")
            elif event == "start_map" and "/" not in key and collection_pattern(f"{path}/{key}/-") in nested:
                yield from _collection(events, f"{path}/{key}", nested)
            else:
                data[key] = _value(events, event, value)
        yield path, data


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def iter_documents(handle: IO[bytes], nested: Collection[str] = ()) -> Iterator[tuple[str, dict]]:
    """(path, fields) for every document of a firestore.json stream, subcollections included."""
    events: Events = iter(ijson.basic_parse(handle, use_float=True))
    try:
        event, _ = next(events, ("end", None))
        if event != "start_map":
            raise InputError(f"{FIRESTORE_FILE} must be an object of collections")
        yield from _documents(events, "", nested)
    except ijson.JSONError as exc:
        raise InputError(f"{FIRESTORE_FILE} is not valid JSON: {_first_line(exc)}") from exc


def iter_auth_users(handle: IO[bytes]) -> Iterator[dict]:
    """The users of an auth_users.json stream, one at a time."""
    message = f'{AUTH_USERS_FILE} must be {{"users": [...]}}, as `firebase auth:export` writes it'
    events: Events = iter(ijson.basic_parse(handle, use_float=True))
    try:
        event, _ = next(events, ("end", None))
        if event != "start_map":
            raise InputError(message)
        seen = False
        for event, key in events:
            if event == "end_map":
                break
            event, value = next(events)
            if key != "users":
                _value(events, event, value)
                continue
            if event != "start_array":
                raise InputError(message)
            seen = True
            for event, value in events:
                if event == "end_array":
                    break
                user = _value(events, event, value)
                if not isinstance(user, dict):
                    raise InputError(f"{AUTH_USERS_FILE}: every user must be an object")
                yield user
        if not seen:
            raise InputError(message)
    except ijson.JSONError as exc:
        raise InputError(f"{AUTH_USERS_FILE} is not valid JSON: {_first_line(exc)}") from exc


def export_from_files(
    source_dir: Path, out: Path, *, hash_config: dict | None, subcollections: Collection[str] = ()
) -> dict:
    """Write the export folder `out` from DIR's files; returns the manifest. `subcollections`: the
    mapping's collection patterns, recognised nested straight under their parent documents."""
    auth_path = source_dir / AUTH_USERS_FILE
    if not auth_path.exists():
        raise InputError(f"{source_dir} has no {AUTH_USERS_FILE} (the output of `firebase auth:export`)")
    writer = ExportWriter(
        out, source={"kind": "files", "dir": str(source_dir.resolve())}, hash_config=hash_config
    )
    # The files are read from the start each time, so a re-run writes every stream again.
    writer.streams.clear()

    with auth_path.open("rb") as handle:
        page: list[dict] = []
        written = 0
        for user in iter_auth_users(handle):
            page.append(user)
            if len(page) >= PAGE:
                written += len(page)
                writer.write_page(AUTH_STREAM, page, cursor=str(written))
                page = []
        writer.write_page(AUTH_STREAM, page, cursor=str(written + len(page)))
    writer.finish_stream(AUTH_STREAM)

    firestore_path = source_dir / FIRESTORE_FILE
    if firestore_path.exists():
        pages: dict[str, list[dict]] = {}
        with firestore_path.open("rb") as handle:
            for path, data in iter_documents(handle, frozenset(subcollections)):
                stream = collection_pattern(path)
                records = pages.setdefault(stream, [])
                records.append({"path": path, "data": data})
                if len(records) >= PAGE:
                    writer.write_page(stream, records, cursor=path)
                    records.clear()
        for stream, records in pages.items():
            writer.write_page(stream, records, cursor=records[-1]["path"] if records else None)
            writer.finish_stream(stream)
    return writer.finish()
