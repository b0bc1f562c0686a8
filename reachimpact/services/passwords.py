"""Password hashing: bcrypt for our own hashes, and verification of hashes that came from elsewhere.

A stored hash names its algorithm ("$2b$12$..." is bcrypt at cost 12, "firebase-scrypt$..." a hash
migrated from Firebase Authentication), so both sit in the same column and a migrated hash is replaced
by a bcrypt hash on the next successful login.
"""

from __future__ import annotations

from functools import lru_cache

import bcrypt

from reachimpact.errors import Invalid
from reachimpact.services import firebase_scrypt

BCRYPT_COST = 12
MIN_LENGTH = 8
# bcrypt reads at most 72 bytes (bcrypt 5 raises beyond): refuse longer ones rather than cut them.
MAX_BYTES = 72


def validate_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise Invalid(f"Password must be at least {MIN_LENGTH} characters.")
    if len(password.encode()) > MAX_BYTES:
        raise Invalid(
            f"Password must be at most {MAX_BYTES} bytes (fewer characters if you use accents or emoji)."
        )


def hash_password(password: str) -> str:
    validate_password(password)
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_COST)).decode()


def rehash_password(password: str) -> str:
    """A bcrypt hash for a password that just matched an older hash.

    No policy check: Firebase allowed 6-character passwords, and a user who signs in with one must get
    in (and onto bcrypt) rather than be locked out by today's minimum.
    """
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_COST)).decode()


def verify_password(password: str, stored_hash: str | None) -> tuple[bool, bool]:
    """(matches, rehash_due). A rehash is due for any hash that is not bcrypt at our cost."""
    if not stored_hash or len(password.encode()) > MAX_BYTES:
        return False, False
    if stored_hash.startswith(("$2a$", "$2b$", "$2y$")):
        try:
            ok = bcrypt.checkpw(password.encode(), stored_hash.encode())
        except ValueError:
            return False, False
        return ok, ok and not stored_hash.startswith(f"$2b${BCRYPT_COST:02d}$")
    if stored_hash.startswith(firebase_scrypt.PREFIX):
        ok = firebase_scrypt.verify(password, stored_hash)
        return ok, ok
    return False, False


@lru_cache
def dummy_hash() -> str:
    """A real hash to check against when the email is unknown, so both failures cost the same time."""
    return bcrypt.hashpw(b"no-such-user-password", bcrypt.gensalt(BCRYPT_COST)).decode()
