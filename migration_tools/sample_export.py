"""Made-up Firebase data in the old app's shape, for tests, the benchmark and trying the tools out.

`auth_users` is what `firebase auth:export --format=json` writes; `firestore_tree` is collections →
documents with subcollections under "__collections__". Users named in `passwords` get a real Firebase
scrypt hash (about 60 ms each); the others get random bytes of the right shape, or none at all.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from migration_tools.firestore_values import COLLECTIONS, DATATYPE
from reachimpact.services.firebase_scrypt import HashParameters, derive_hash

# The example parameters Firebase publishes with its scrypt tool (firebase/scrypt README).
EXAMPLE_HASH_CONFIG = {
    "algorithm": "SCRYPT",
    "base64_signer_key": (
        "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA=="
    ),
    "base64_salt_separator": "Bw==",
    "rounds": 8,
    "mem_cost": 14,
}
_BASE_MS = 1_600_000_000_000


def _b64(data: bytes, urlsafe: bool = False) -> str:
    return (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(data).decode()


def timestamp(ms: int) -> dict:
    return {DATATYPE: "timestamp", "value": {"_seconds": ms // 1000, "_nanoseconds": (ms % 1000) * 1_000_000}}


def contact_phone(i: int, j: int) -> str:
    """Contact j of user i's number, as people type them: a different number for every contact of up to
    10,000 users with up to 100 contacts each, so that each is parsed once, as in a real export."""
    return f"(415) 5{i % 100:02d}-{i // 100 * 100 + j:04d}"


@dataclass
class SampleExport:
    users: int = 3
    contacts_per_user: int = 4
    campaigns_per_user: int = 1
    calls_per_user: int = 3
    messages_per_user: int = 3
    analytics_per_user: int = 1
    passwords: dict[str, str] = field(default_factory=dict)
    urlsafe: bool = False
    without_password: set[str] = field(default_factory=set)
    seed: int = 7
    hash_config: dict = field(default_factory=lambda: dict(EXAMPLE_HASH_CONFIG))

    def uid(self, i: int) -> str:
        return f"uid{i:06d}"

    def auth_users(self) -> list[dict]:
        params = HashParameters.from_console(
            base64_signer_key=self.hash_config["base64_signer_key"],
            base64_salt_separator=self.hash_config["base64_salt_separator"],
            rounds=self.hash_config["rounds"],
            mem_cost=self.hash_config["mem_cost"],
        )
        rng = random.Random(self.seed)
        users = []
        for i in range(self.users):
            uid = self.uid(i)
            salt = rng.randbytes(12)
            user: dict = {
                "localId": uid,
                "email": f"user{i}@example.org",
                "emailVerified": i % 2 == 0,
                "displayName": f"User {i}",
                "disabled": False,
                "createdAt": str(_BASE_MS + i * 1000),
                "lastSignedInAt": str(_BASE_MS + i * 1000 + 86_400_000),
                "providerUserInfo": [
                    {
                        "providerId": "password",
                        "rawId": f"user{i}@example.org",
                        "email": f"user{i}@example.org",
                    }
                ],
            }
            if uid in self.without_password:
                user["providerUserInfo"] = [{"providerId": "google.com", "rawId": f"g{i}"}]
            elif uid in self.passwords:
                digest = derive_hash(self.passwords[uid], salt, params)
                user["passwordHash"] = _b64(digest, self.urlsafe)
                user["salt"] = _b64(salt, self.urlsafe)
            else:
                user["passwordHash"] = _b64(rng.randbytes(64), self.urlsafe)
                user["salt"] = _b64(salt, self.urlsafe)
            users.append(user)
        return users

    def documents(self, i: int) -> dict[str, dict[str, dict]]:
        """The subcollections of user i: collection → document id → fields."""
        uid = self.uid(i)
        ms = _BASE_MS + i * 1000
        contacts = {
            f"c{j}": {
                "firstName": f"Contact{j}",
                "lastName": f"Of{i}",
                "phone": contact_phone(i, j),
                "email": f"c{j}.u{i}@example.org",
                "tags": ["donor"] if j % 2 else ["volunteer", "2024"],
                "customFields": {"ward": j % 7},
                "createdAt": timestamp(ms + j),
                "favouriteColour": "green",
            }
            for j in range(self.contacts_per_user)
        }
        campaigns = {
            f"k{j}": {
                "name": f"Campaign {j} of {i}",
                "type": "voice" if j % 2 == 0 else "sms",
                "status": "active",
                "script": "Hello from the food bank",
                "createdAt": timestamp(ms + j),
                "createdBy": uid,
            }
            for j in range(self.campaigns_per_user)
        }
        n_contacts = max(self.contacts_per_user, 1)
        n_campaigns = max(self.campaigns_per_user, 1)
        calls = {
            f"call{j}": {
                "contactId": f"c{j % n_contacts}",
                "campaignId": {
                    DATATYPE: "documentReference",
                    "value": f"users/{uid}/campaigns/k{j % n_campaigns}",
                },
                "status": "completed" if j % 3 else "no_answer",
                "direction": "outbound",
                "from": "+14155550100",
                "to": contact_phone(i, j % n_contacts),
                "duration": 30 + j,
                "twilioSid": f"CA{i:08d}{j:06d}",
                "createdAt": timestamp(ms + j),
            }
            for j in range(self.calls_per_user)
        }
        messages = {
            f"m{j}": {
                "contactId": f"c{j % n_contacts}",
                "body": f"Message {j}",
                "direction": "inbound" if j % 2 else "outbound",
                "status": "delivered",
                "twilioSid": f"SM{i:08d}{j:06d}",
                "from": "+14155550100",
                "to": contact_phone(i, j % n_contacts),
                "createdAt": timestamp(ms + j),
            }
            for j in range(self.messages_per_user)
        }
        analytics = {
            f"d{j}": {"calls": 3, "day": f"2024-01-{j + 1:02d}"} for j in range(self.analytics_per_user)
        }
        return {
            "contacts": contacts,
            "campaigns": campaigns,
            "calls": calls,
            "messages": messages,
            "analytics": analytics,
        }

    def profile(self, i: int) -> dict:
        return {"organizationName": f"Org {i}", "timezone": "America/Chicago", "plan": "free"}

    def firestore_tree(self) -> dict:
        users = {}
        for i in range(self.users):
            users[self.uid(i)] = {**self.profile(i), COLLECTIONS: self.documents(i)}
        return {"users": users}

    def write_files(self, folder: Path) -> Path:
        """DIR with auth_users.json and firestore.json, plus hash_config.json; returns DIR."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "auth_users.json").write_text(json.dumps({"users": self.auth_users()}, indent=1))
        (folder / "firestore.json").write_text(json.dumps(self.firestore_tree(), indent=1))
        (folder / "hash_config.json").write_text(json.dumps(self.hash_config, indent=1))
        return folder

    def document_records(self) -> Iterator[tuple[str, dict]]:
        """(path, fields) of every document, user by user (what a live export streams)."""
        for i in range(self.users):
            uid = self.uid(i)
            yield f"users/{uid}", self.profile(i)
            for collection, documents in self.documents(i).items():
                for doc_id, fields in documents.items():
                    yield f"users/{uid}/{collection}/{doc_id}", fields

    @property
    def document_count(self) -> int:
        per_user = 1 + sum(
            (
                self.contacts_per_user,
                self.campaigns_per_user,
                self.calls_per_user,
                self.messages_per_user,
                self.analytics_per_user,
            )
        )
        return self.users * per_user
