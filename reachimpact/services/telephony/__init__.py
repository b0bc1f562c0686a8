"""Telephony: one provider protocol, two implementations chosen by settings (Twilio when TWILIO_* are
set, the simulator otherwise), and the webhook signatures, addresses and TwiML they share."""

from __future__ import annotations

from functools import lru_cache

from reachimpact.services.telephony.provider import (
    DEAD_NUMBER_CODES,
    CallReport,
    OutboundCall,
    TelephonyError,
    TelephonyProvider,
)
from reachimpact.settings import get_settings

__all__ = [
    "CallReport",
    "DEAD_NUMBER_CODES",
    "OutboundCall",
    "TelephonyError",
    "TelephonyProvider",
    "get_provider",
]


def get_provider() -> TelephonyProvider:
    """Twilio when its credentials are set, the simulator otherwise."""
    settings = get_settings()
    if settings.twilio_enabled:
        assert settings.twilio_account_sid and settings.twilio_auth_token
        return _twilio(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base_url)
    return _simulator(settings.simulator_time_scale)


# One per process and configuration: the Twilio client keeps its HTTPS connections open between ticks.
@lru_cache(maxsize=4)
def _twilio(account_sid: str, auth_token: str, api_base_url: str | None) -> TelephonyProvider:
    from reachimpact.services.telephony.twilio import TwilioProvider

    return TwilioProvider(account_sid, auth_token, api_base_url=api_base_url)


@lru_cache(maxsize=4)
def _simulator(time_scale: float) -> TelephonyProvider:
    from reachimpact.services.telephony.simulator import SimulatorProvider

    return SimulatorProvider(time_scale=time_scale)
