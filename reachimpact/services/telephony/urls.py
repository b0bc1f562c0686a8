"""Our webhook addresses as Twilio is given them: PUBLIC_BASE_URL + path, with our call id in the query.

The call id makes every callback findable even before the dial's SID is stored (a worker may die
between Twilio's answer and our write), and Twilio signs the full address, query included.
"""

from __future__ import annotations

import uuid

from reachimpact.settings import get_settings

VOICE_PATH = "/webhooks/twilio/voice"
STATUS_PATH = "/webhooks/twilio/voice/status"
GATHER_PATH = "/webhooks/twilio/gather"
RECORDING_PATH = "/webhooks/twilio/recording"
AMD_PATH = "/webhooks/twilio/amd"


def public_url(path_and_query: str) -> str:
    """The address Twilio requests (and signs) for a path of ours."""
    return get_settings().public_base_url.rstrip("/") + path_and_query


def callback_url(path: str, call_id: uuid.UUID) -> str:
    return public_url(f"{path}?call_id={call_id}")
