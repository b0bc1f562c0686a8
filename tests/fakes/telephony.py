"""A telephony provider at the edge of our system for the dialer's tests: it only takes note."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from reachimpact.services.telephony import CallReport, OutboundCall, TelephonyError


@dataclass
class RecordingProvider:
    """A telephony provider at the edge of our system that only takes note: what was asked of it, in
    order, with SIDs it makes up. `refuse` maps a number to the Twilio error code to answer."""

    refuse: dict[str, str] = field(default_factory=dict)
    placed: list[OutboundCall] = field(default_factory=list)
    sids: dict[uuid.UUID, str] = field(default_factory=dict)
    hung_up: list[str] = field(default_factory=list)
    # SID → what call_report answers (a SID not here: the provider knows no such call).
    reports: dict[str, CallReport] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    name: str = "recording"

    def place_call(self, call: OutboundCall) -> str:
        if call.to in self.refuse:
            raise TelephonyError("refused", self.refuse[call.to])
        with self.lock:
            self.placed.append(call)
            sid = self.sids[call.call_id] = "CA" + uuid.uuid4().hex
        return sid

    def find_call(self, call: OutboundCall, *, recorded_at: datetime) -> str | None:
        return self.sids.get(call.call_id)

    def call_report(self, sid: str) -> CallReport | None:
        self.asked.append(sid)
        return self.reports.get(sid)

    def hang_up(self, sid: str) -> None:
        self.hung_up.append(sid)

    def play_and_hang_up(self, sid: str, twiml: str) -> None:
        self.hung_up.append(sid)

    def numbers(self) -> list[str]:
        return [c.to for c in self.placed]
