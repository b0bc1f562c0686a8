"""What the dialer asks of a telephony provider, whichever it is (Twilio or the simulator)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

# Twilio error codes that mean the number itself is dead or unreachable: the contact's phone is marked
# bad (services.call_events puts it on the do-not-contact list) so no campaign dials it again.
DEAD_NUMBER_CODES: frozenset[str] = frozenset(
    {
        "13223",  # Dial: invalid phone number format
        "13224",  # Dial: invalid phone number
        "21211",  # invalid 'To' phone number
        "21214",  # 'To' phone number cannot be reached
        "21217",  # phone number does not appear to be valid
        "21610",  # the recipient has unsubscribed (STOP) from this sender
    }
)


class TelephonyError(Exception):
    """The provider refused or failed a request; `code` is Twilio's error code when it gave one."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code

    @property
    def dead_number(self) -> bool:
        return self.code in DEAD_NUMBER_CODES


@dataclass(frozen=True)
class OutboundCall:
    """One dial: who to call, from which number, and where the provider reports what happens."""

    call_id: uuid.UUID
    to: str
    from_: str
    voice_url: str
    status_callback: str
    record: bool = False
    recording_callback: str | None = None
    # Twilio's MachineDetection: "DetectMessageEnd" waits for the beep (to leave a message).
    machine_detection: Literal["Enable", "DetectMessageEnd"] | None = None
    amd_callback: str | None = None
    ring_timeout_seconds: int = 30


@dataclass(frozen=True)
class CallReport:
    """What the provider says of a call now, in Twilio's words."""

    status: str  # Twilio's CallStatus
    duration_seconds: int | None = None


class TelephonyProvider(Protocol):
    name: str

    def place_call(self, call: OutboundCall) -> str:
        """Ask for the call to be made; returns the provider's call SID. Raises TelephonyError."""
        ...

    def find_call(self, call: OutboundCall, *, recorded_at: datetime) -> str | None:
        """The SID of a call the provider made for this dial, if it made one (reconciling a dial whose
        SID was never stored). Raises TelephonyError when the provider cannot tell."""
        ...

    def call_report(self, sid: str) -> CallReport | None:
        """The call's status now, for a call whose callbacks went quiet; None when the provider knows no
        such call. Raises TelephonyError when it cannot tell."""
        ...

    def hang_up(self, sid: str) -> None:
        """End a call in progress."""
        ...

    def play_and_hang_up(self, sid: str, twiml: str) -> None:
        """Replace what a call in progress is doing with `twiml` (e.g. a voicemail message)."""
        ...
