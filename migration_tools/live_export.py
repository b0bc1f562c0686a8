"""export from a live Firebase project (or its emulators) with firebase-admin, page by page, resumable.

Auth users come from auth.list_users (with password hash and salt, URL-safe base64) and are written in
the `auth:export` shape; each mapped Firestore collection is read in document-id order, subcollections
through a collection-group query. After each page the export folder records the cursor, so a re-run
continues after the last completed page.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from migration_tools.export_folder import AUTH_STREAM, ExportWriter, collection_pattern
from migration_tools.firestore_values import encode

log = logging.getLogger("migration_tools.export")
AUTH_EMULATOR_ENV = "FIREBASE_AUTH_EMULATOR_HOST"
FIRESTORE_EMULATOR_ENV = "FIRESTORE_EMULATOR_HOST"


class LiveExportError(Exception):
    pass


def _app(credentials: Path | None, project_id: str | None) -> Any:
    import firebase_admin
    from firebase_admin import credentials as fb_credentials

    options = {"projectId": project_id} if project_id else {}
    if credentials is not None:
        credential = fb_credentials.Certificate(str(credentials))
    elif os.environ.get(AUTH_EMULATOR_ENV) or os.environ.get(FIRESTORE_EMULATOR_ENV):
        if not project_id:
            raise LiveExportError("--project is needed with the emulators (e.g. demo-reachimpact)")
        credential = None  # firebase-admin talks to the Auth emulator without one
    else:
        raise LiveExportError(
            "give --credentials (a service-account JSON file) or point the emulator variables"
        )
    return firebase_admin.initialize_app(credential, options, name=f"migration-{uuid.uuid4().hex[:8]}")


def _firestore(app: Any, project_id: str | None) -> Any:
    if os.environ.get(FIRESTORE_EMULATOR_ENV):
        # The emulator accepts no real token; the Firestore client needs an explicit anonymous credential.
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import firestore

        return firestore.Client(project=project_id or app.project_id, credentials=AnonymousCredentials())
    from firebase_admin import firestore as fb_firestore

    return fb_firestore.client(app)


def user_record(user: Any) -> dict:
    """An ExportedUserRecord in the shape `firebase auth:export --format=json` writes."""
    record: dict[str, Any] = {
        "localId": user.uid,
        "email": user.email,
        "emailVerified": bool(user.email_verified),
        "displayName": user.display_name,
        "photoUrl": user.photo_url,
        "phoneNumber": user.phone_number,
        "disabled": bool(user.disabled),
        "createdAt": str(user.user_metadata.creation_timestamp or ""),
        "lastSignedInAt": str(user.user_metadata.last_sign_in_timestamp or ""),
        "providerUserInfo": [
            {
                "providerId": p.provider_id,
                "rawId": p.uid,
                "email": p.email,
                "displayName": p.display_name,
                "photoUrl": p.photo_url,
            }
            for p in user.provider_data
        ],
    }
    if user.password_hash:
        record["passwordHash"] = user.password_hash
        record["salt"] = user.password_salt or ""
    if user.custom_claims:
        record["customAttributes"] = json.dumps(user.custom_claims)
    return {k: v for k, v in record.items() if v not in (None, "")}


def _export_auth(writer: ExportWriter, app: Any, page_size: int, on_page: Callable[[str, int], None]) -> None:
    from firebase_admin import auth

    state = writer.state(AUTH_STREAM)
    if state.done:
        return
    token = state.cursor
    if state.count and token is None:  # the last page was written before the stream was marked done
        writer.finish_stream(AUTH_STREAM)
        return
    while True:
        page = auth.list_users(page_token=token, max_results=page_size, app=app)
        token = page.next_page_token or None
        written = writer.write_page(AUTH_STREAM, (user_record(u) for u in page.users), cursor=token)
        on_page(AUTH_STREAM, written)
        if token is None:
            break
    writer.finish_stream(AUTH_STREAM)


def _export_collection(
    writer: ExportWriter, client: Any, pattern: str, page_size: int, on_page: Callable[[str, int], None]
) -> None:
    state = writer.state(pattern)
    if state.done:
        return
    parts = pattern.split("/")
    query = client.collection(pattern) if len(parts) == 1 else client.collection_group(parts[-1])
    query = query.order_by("__name__")
    cursor = state.cursor
    while True:
        page_query = query.limit(page_size)
        if cursor:
            page_query = page_query.start_after({"__name__": client.document(cursor)})
        documents = list(page_query.stream())
        if not documents:
            break
        cursor = documents[-1].reference.path
        records: Iterable[dict] = (
            {"path": d.reference.path, "data": encode(d.to_dict() or {})}
            for d in documents
            if collection_pattern(d.reference.path) == pattern
        )
        on_page(pattern, writer.write_page(pattern, records, cursor=cursor))
        if len(documents) < page_size:
            break
    writer.finish_stream(pattern)


def export_live(
    out: Path,
    *,
    collections: list[str],
    hash_config: dict | None,
    credentials: Path | None = None,
    project_id: str | None = None,
    page_size: int = 1000,
    on_page: Callable[[str, int], None] | None = None,
) -> dict:
    """Export Auth users and `collections` (patterns like "users/*/contacts") into the folder `out`."""
    import firebase_admin

    app = _app(credentials, project_id)
    report = on_page or (lambda stream, n: None)
    try:
        source = {
            "kind": "emulator" if os.environ.get(AUTH_EMULATOR_ENV) else "firebase",
            "project_id": project_id or app.project_id,
        }
        writer = ExportWriter(out, source=source, hash_config=hash_config)
        _export_auth(writer, app, page_size, report)
        client = _firestore(app, project_id)
        for pattern in collections:
            _export_collection(writer, client, pattern, page_size, report)
            log.info("exported %s: %s documents", pattern, writer.state(pattern).count)
        return writer.finish()
    finally:
        firebase_admin.delete_app(app)
