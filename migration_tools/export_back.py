"""export-back: the PostgreSQL data as files Firebase can import, so an organisation can go back.

    auth_users.json         users with their Firebase scrypt hash (or none): `firebase auth:import` it
                            with the project's scrypt parameters (IMPORT.md gives the command)
    auth_users_bcrypt.json  users whose password is on bcrypt by now (signed in or changed it since):
                            `firebase auth:import --hash-algo=BCRYPT`
    firestore.json          users/{uid} profiles with their contacts, campaigns, calls and messages as
                            subcollections, in the shape `migrate --from-files` reads (and the common
                            Firestore JSON import tools write)

Rows that came from Firebase go back under their own ids and paths; rows made in ReachImpact since get
their UUID as document id, under the organization owner's user.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from migration_tools.firestore_values import COLLECTIONS, DATATYPE, encode
from migration_tools.mapping import AUTH, Mapping
from migration_tools.staging import q
from reachimpact.services import firebase_scrypt


def _ms(moment: datetime | None) -> str | None:
    return str(int(moment.timestamp() * 1000)) if moment else None


def _auth_user(row: dict) -> tuple[str, dict]:
    """("scrypt" | "bcrypt", the user in auth:import's JSON shape)."""
    extra = dict(row["firebase_auth"] or {})
    if isinstance(extra.get("customAttributes"), dict):
        extra["customAttributes"] = json.dumps(extra["customAttributes"])
    user = {
        **extra,
        "localId": row["firebase_id"] or str(row["id"]),
        "email": row["email"],
        "emailVerified": row["email_verified"],
        "displayName": row["name"] or None,
        "photoUrl": row["photo_url"],
        "disabled": row["disabled"],
        "createdAt": _ms(row["created_at"]),
        "lastSignedInAt": _ms(row["last_login_at"]),
    }
    kind = "scrypt"
    stored = row["password_hash"] or ""
    if stored.startswith(firebase_scrypt.PREFIX):
        parsed = firebase_scrypt.parse_hash(stored)
        user["passwordHash"] = firebase_scrypt.b64encode(parsed.password_hash)
        user["salt"] = firebase_scrypt.b64encode(parsed.salt)
    elif stored.startswith("$2"):
        kind = "bcrypt"
        user["passwordHash"] = base64.b64encode(stored.encode()).decode()
    return kind, {k: v for k, v in user.items() if v is not None}


def _reverse(values: dict[str, str]) -> dict[str, str]:
    reverse: dict[str, str] = {}
    for firebase_value, ours in values.items():
        reverse.setdefault(ours, firebase_value)
    return reverse


def export_back(conninfo: str, out: Path, mapping: Mapping) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, int] = {}
    with psycopg.connect(conninfo, row_factory=dict_row) as conn:
        users = conn.execute("SELECT * FROM users ORDER BY created_at, id").fetchall()
        files: dict[str, list[dict]] = {"scrypt": [], "bcrypt": []}
        params = None
        for row in users:
            kind, user = _auth_user(row)
            files[kind].append(user)
            if params is None and (row["password_hash"] or "").startswith(firebase_scrypt.PREFIX):
                params = firebase_scrypt.parse_hash(row["password_hash"]).params
        (out / "auth_users.json").write_text(json.dumps({"users": files["scrypt"]}, indent=1))
        (out / "auth_users_bcrypt.json").write_text(json.dumps({"users": files["bcrypt"]}, indent=1))
        summary["auth users (scrypt or no password)"] = len(files["scrypt"])
        summary["auth users (bcrypt)"] = len(files["bcrypt"])

        uid_of_user = {row["id"]: row["firebase_id"] or str(row["id"]) for row in users}
        profile = mapping.auth.profile_collection
        # Each organization goes under its owner's user document.
        org_path: dict[Any, str] = {}
        tree: dict[str, dict] = {}
        for org in conn.execute(
            """SELECT o.*, (SELECT m.user_id FROM memberships m WHERE m.organization_id = o.id
                            ORDER BY (m.role = 'owner') DESC, m.created_at LIMIT 1) AS owner_id
               FROM organizations o ORDER BY o.created_at, o.id"""
        ):
            if org["owner_id"] is None:
                continue
            path = org["firebase_id"] or f"{profile}/{uid_of_user[org['owner_id']]}"
            org_path[org["id"]] = path
            settings = org["settings"] or {}
            document = {
                **(settings.get("firebase_profile") or {}),
                mapping.auth.organization_name[0]: org["name"],
                mapping.auth.organization_time_zone[0]: org["time_zone"],
            }
            tree[path.split("/")[-1]] = document
        summary[profile] = len(tree)

        paths: dict[str, dict[Any, str]] = {"users": dict(uid_of_user)}
        for mapped in mapping.collections.values():
            if mapped.table is None:
                continue
            rows = conn.execute(f"SELECT * FROM {q(mapped.table)} ORDER BY created_at, id").fetchall()
            collection = mapped.pattern.split("/")[-1]
            table_paths = paths.setdefault(mapped.table, {})
            for row in rows:
                owner = org_path.get(row["organization_id"])
                if owner is None:
                    continue
                table_paths[row["id"]] = row["firebase_id"] or f"{owner}/{collection}/{row['id']}"
            documents = defaultdict(dict)
            for row in rows:
                path = table_paths.get(row["id"])
                if path is None:
                    continue
                fields: dict[str, Any] = {}
                for column in mapped.columns:
                    value = row[column.name]
                    if value is None:
                        continue
                    if column.type == "ref":
                        target = "users" if column.ref == AUTH else mapping.table_for(column.ref or "")
                        ref_path = paths.get(target, {}).get(value)
                        if ref_path is None:
                            continue
                        value = (
                            ref_path
                            if column.ref == AUTH
                            else {DATATYPE: "documentReference", "value": ref_path}
                        )
                    elif column.type == "enum":
                        value = _reverse(column.values).get(value, value)
                    else:
                        value = encode(value)
                    fields.setdefault(column.fields[0], value)
                parent = path.split("/")
                documents[parent[1]][parent[-1]] = fields
            for uid, docs in documents.items():
                user_doc = tree.setdefault(uid, {})
                user_doc.setdefault(COLLECTIONS, {})[collection] = docs
            summary[mapped.pattern] = sum(len(d) for d in documents.values())
        (out / "firestore.json").write_text(json.dumps({profile: tree}, indent=1, default=str))

    scrypt_flags = (
        f"--hash-algo=SCRYPT --hash-key={firebase_scrypt.b64encode(params.signer_key)} "
        f"--salt-separator={firebase_scrypt.b64encode(params.salt_separator)} "
        f"--rounds={params.rounds} --mem-cost={params.mem_cost}"
        if params
        else "--hash-algo=SCRYPT --hash-key=<your project's signer key> ..."
    )
    (out / "IMPORT.md").write_text(
        "# Back to Firebase\n\n"
        f"    firebase auth:import auth_users.json {scrypt_flags} --project <project>\n"
        "    firebase auth:import auth_users_bcrypt.json --hash-algo=BCRYPT --project <project>\n\n"
        "firestore.json holds the documents (subcollections under `__collections__`, Timestamps and\n"
        "references as `__datatype__` objects), as Firestore JSON import tools read them.\n"
    )
    return summary
