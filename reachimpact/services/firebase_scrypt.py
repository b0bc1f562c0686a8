"""Firebase Authentication's modified scrypt, so users migrated from Firebase keep their passwords.

Firebase derives key = scrypt(password, salt ‖ salt_separator, N=2^mem_cost, r=rounds, p=1, dkLen=64)
and stores AES-256-CTR(key[:32], IV=0) applied to the project's signer key. A migrated hash keeps
everything needed to check it in one string:

    firebase-scrypt$<rounds>$<mem_cost>$<signer key>$<salt separator>$<salt>$<hash>

with the last four in standard base64. Firebase hands out both base64 alphabets (`auth:export` writes the
standard one, the Admin SDK's list_users the URL-safe one); both are accepted on the way in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PREFIX = "firebase-scrypt$"
# Firebase projects use mem_cost 14; the console allows up to 15. Refuse more rather than let a crafted
# hash string make one login allocate gigabytes.
MAX_MEM_COST = 15
MAX_ROUNDS = 16


def b64decode_any(value: str) -> bytes:
    """Decode standard or URL-safe base64, padded or not."""
    text = value.strip().replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"not base64: {value[:20]!r}") from exc


def b64encode(value: bytes) -> str:
    return base64.b64encode(value).decode()


@dataclass(frozen=True)
class HashParameters:
    """A Firebase project's password hash parameters (Authentication → Users → Password hash parameters)."""

    signer_key: bytes
    salt_separator: bytes
    rounds: int
    mem_cost: int

    def __post_init__(self) -> None:
        if not 1 <= self.rounds <= MAX_ROUNDS:
            raise ValueError(f"rounds must be between 1 and {MAX_ROUNDS}, not {self.rounds}")
        if not 1 <= self.mem_cost <= MAX_MEM_COST:
            raise ValueError(f"mem_cost must be between 1 and {MAX_MEM_COST}, not {self.mem_cost}")
        if not self.signer_key:
            raise ValueError("the signer key is empty")

    @classmethod
    def from_console(
        cls, *, base64_signer_key: str, base64_salt_separator: str, rounds: int, mem_cost: int
    ) -> HashParameters:
        return cls(
            signer_key=b64decode_any(base64_signer_key),
            salt_separator=b64decode_any(base64_salt_separator),
            rounds=int(rounds),
            mem_cost=int(mem_cost),
        )


def derive_hash(password: str, salt: bytes, params: HashParameters) -> bytes:
    """What Firebase stores as passwordHash for `password` with this user's salt."""
    n = 1 << params.mem_cost
    # scrypt needs 128 * r * N bytes for its main buffer, plus a little; hashlib refuses beyond maxmem.
    maxmem = 128 * params.rounds * (n + 2) + (1 << 20)
    key = hashlib.scrypt(
        password.encode(),
        salt=salt + params.salt_separator,
        n=n,
        r=params.rounds,
        p=1,
        dklen=64,
        maxmem=maxmem,
    )
    encryptor = Cipher(algorithms.AES(key[:32]), modes.CTR(bytes(16))).encryptor()
    return encryptor.update(params.signer_key) + encryptor.finalize()


def format_hash(params: HashParameters, *, salt: str | bytes, password_hash: str | bytes) -> str:
    """The stored form of a Firebase user's hash; `salt` and `password_hash` as bytes or either base64."""
    salt_bytes = salt if isinstance(salt, bytes) else b64decode_any(salt)
    hash_bytes = password_hash if isinstance(password_hash, bytes) else b64decode_any(password_hash)
    return "$".join(
        [
            PREFIX.rstrip("$"),
            str(params.rounds),
            str(params.mem_cost),
            b64encode(params.signer_key),
            b64encode(params.salt_separator),
            b64encode(salt_bytes),
            b64encode(hash_bytes),
        ]
    )


@dataclass(frozen=True)
class ParsedHash:
    params: HashParameters
    salt: bytes
    password_hash: bytes


def parse_hash(stored_hash: str) -> ParsedHash:
    """Split a stored `firebase-scrypt$...` string; ValueError when it is not one."""
    parts = stored_hash.split("$")
    if len(parts) != 7 or parts[0] != PREFIX.rstrip("$"):
        raise ValueError("not a firebase-scrypt hash")
    _, rounds, mem_cost, signer_key, separator, salt, password_hash = parts
    params = HashParameters(
        signer_key=b64decode_any(signer_key),
        salt_separator=b64decode_any(separator),
        rounds=int(rounds),
        mem_cost=int(mem_cost),
    )
    return ParsedHash(params=params, salt=b64decode_any(salt), password_hash=b64decode_any(password_hash))


def verify(password: str, stored_hash: str) -> bool:
    """Whether `password` matches a stored `firebase-scrypt$...` hash (malformed hashes never match)."""
    try:
        parsed = parse_hash(stored_hash)
    except ValueError:
        return False
    return hmac.compare_digest(derive_hash(password, parsed.salt, parsed.params), parsed.password_hash)
