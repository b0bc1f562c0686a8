"""Twilio's request signature (X-Twilio-Signature), checked on every webhook and made by the simulator.

The key is TWILIO_AUTH_TOKEN when Twilio is configured. Without it the simulator signs with a token
derived from SECRET_KEY, so the check is never skipped and a request nobody signed is still refused.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from twilio.request_validator import RequestValidator

from reachimpact.settings import Settings, get_settings

SIGNATURE_HEADER = "X-Twilio-Signature"


def signing_token(settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    if settings.twilio_enabled:
        assert settings.twilio_auth_token is not None
        return settings.twilio_auth_token
    return hmac.new(settings.secret_key.encode(), b"twilio-simulator", hashlib.sha256).hexdigest()


class _Params(dict[str, list[str]]):
    """Form fields with repeats kept; RequestValidator reads repeated fields through `getlist`."""

    def getlist(self, name: str) -> list[str]:
        return self[name]


def _params(pairs: Iterable[tuple[str, str]]) -> _Params:
    params = _Params()
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return params


def sign(url: str, pairs: Iterable[tuple[str, str]], token: str | None = None) -> str:
    """The signature Twilio would send for a POST of `pairs` to `url`."""
    return RequestValidator(token or signing_token()).compute_signature(url, _params(pairs))


def is_valid(url: str, pairs: Iterable[tuple[str, str]], signature: str | None) -> bool:
    """Whether `signature` is Twilio's (or the simulator's) for a POST of `pairs` to `url`."""
    if not signature:
        return False
    return RequestValidator(signing_token()).validate(url, _params(pairs), signature)
