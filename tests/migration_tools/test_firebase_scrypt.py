"""Firebase's modified scrypt, checked against the example Firebase publishes with its scrypt tool."""

from __future__ import annotations

import base64

import pytest

from reachimpact.services import firebase_scrypt, passwords
from reachimpact.services.firebase_scrypt import HashParameters

# github.com/firebase/scrypt README: "Password hashing" example.
SIGNER_KEY = "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA=="
SALT_SEPARATOR = "Bw=="
SALT = "42xEC+ixf3L2lw=="
PASSWORD = "user1password"
EXPECTED = "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ=="
PARAMS = HashParameters.from_console(
    base64_signer_key=SIGNER_KEY, base64_salt_separator=SALT_SEPARATOR, rounds=8, mem_cost=14
)


def _urlsafe(value: str) -> str:
    return base64.urlsafe_b64encode(base64.b64decode(value)).decode().rstrip("=")


def test_derives_firebases_published_example() -> None:
    derived = firebase_scrypt.derive_hash(PASSWORD, base64.b64decode(SALT), PARAMS)
    assert base64.b64encode(derived).decode() == EXPECTED


@pytest.mark.parametrize("encode", [str, _urlsafe], ids=["standard-base64", "url-safe-base64"])
def test_verifies_the_example_in_both_base64_alphabets(encode) -> None:
    stored = firebase_scrypt.format_hash(PARAMS, salt=encode(SALT), password_hash=encode(EXPECTED))
    assert stored.startswith("firebase-scrypt$8$14$")
    assert firebase_scrypt.verify(PASSWORD, stored)
    assert not firebase_scrypt.verify("user1passwore", stored)
    assert passwords.verify_password(PASSWORD, stored) == (True, True)  # matches, and bcrypt is due
    assert passwords.verify_password("wrong password", stored) == (False, False)


def test_hash_string_keeps_every_parameter() -> None:
    stored = firebase_scrypt.format_hash(PARAMS, salt=SALT, password_hash=EXPECTED)
    parsed = firebase_scrypt.parse_hash(stored)
    assert parsed.params == PARAMS
    assert base64.b64encode(parsed.salt).decode() == SALT
    assert base64.b64encode(parsed.password_hash).decode() == EXPECTED


@pytest.mark.parametrize(
    "stored",
    [
        "firebase-scrypt$8$14$abc",
        "firebase-scrypt$8$30$" + "$".join([SIGNER_KEY, SALT_SEPARATOR, SALT, EXPECTED]),  # mem_cost too high
        "firebase-scrypt$8$14$" + "$".join([SIGNER_KEY, SALT_SEPARATOR, "not base64!", EXPECTED]),
    ],
)
def test_malformed_hashes_never_match(stored: str) -> None:
    assert firebase_scrypt.verify(PASSWORD, stored) is False
    assert passwords.verify_password(PASSWORD, stored) == (False, False)


def test_mem_cost_15_has_enough_memory() -> None:
    params = HashParameters(signer_key=b"key", salt_separator=b"", rounds=8, mem_cost=15)
    stored = firebase_scrypt.format_hash(
        params, salt=b"salt", password_hash=firebase_scrypt.derive_hash("secret", b"salt", params)
    )
    assert firebase_scrypt.verify("secret", stored)
