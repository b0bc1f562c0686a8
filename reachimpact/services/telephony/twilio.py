"""Real calls through Twilio's REST API with the official SDK."""

from __future__ import annotations

from datetime import datetime, timedelta

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from reachimpact.services.telephony.provider import CallReport, OutboundCall, TelephonyError

# The call's progress as status callbacks; "answered" arrives as CallStatus=in-progress.
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]


def _error(exc: TwilioException) -> TelephonyError:
    if isinstance(exc, TwilioRestException):
        code = str(exc.code) if exc.code is not None else None
        return TelephonyError(f"Twilio refused the request: {exc.msg}", code)
    return TelephonyError(f"Twilio could not be reached: {exc}")


class TwilioProvider:
    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, *, api_base_url: str | None = None) -> None:
        self.client = Client(account_sid, auth_token)
        if api_base_url:
            # Tests point the SDK at a fake Twilio on loopback; paths and payloads stay Twilio's own.
            self.client.api.base_url = api_base_url.rstrip("/")

    def place_call(self, call: OutboundCall) -> str:
        options: dict[str, object] = {}
        if call.machine_detection:
            # Asynchronous AMD: a person hears the message at once; the verdict comes to /amd.
            options.update(
                machine_detection=call.machine_detection,
                async_amd="true",
                async_amd_status_callback=call.amd_callback,
                async_amd_status_callback_method="POST",
            )
        if call.record:
            options.update(
                record=True,
                recording_status_callback=call.recording_callback,
                recording_status_callback_method="POST",
            )
        try:
            created = self.client.calls.create(
                to=call.to,
                from_=call.from_,
                url=call.voice_url,
                method="POST",
                status_callback=call.status_callback,
                status_callback_event=STATUS_EVENTS,
                status_callback_method="POST",
                timeout=call.ring_timeout_seconds,
                **options,  # type: ignore[arg-type]
            )
        except TwilioException as exc:
            raise _error(exc) from exc
        assert created.sid is not None
        return created.sid

    def find_call(self, call: OutboundCall, *, recorded_at: datetime) -> str | None:
        try:
            recent = self.client.calls.list(to=call.to, from_=call.from_, limit=20)
        except TwilioException as exc:
            raise _error(exc) from exc
        # Only a call created after the dial was recorded can be that dial (clocks differ a little).
        since = recorded_at - timedelta(minutes=1)
        for candidate in recent:
            if candidate.date_created is not None and candidate.date_created >= since:
                return candidate.sid
        return None

    def call_report(self, sid: str) -> CallReport | None:
        try:
            call = self.client.calls(sid).fetch()
        except TwilioRestException as exc:
            if exc.status == 404:
                return None
            raise _error(exc) from exc
        except TwilioException as exc:
            raise _error(exc) from exc
        duration = str(call.duration or "")
        return CallReport(str(call.status), int(duration) if duration.isdigit() else None)

    def hang_up(self, sid: str) -> None:
        try:
            self.client.calls(sid).update(status="completed")
        except TwilioException as exc:
            raise _error(exc) from exc

    def play_and_hang_up(self, sid: str, twiml: str) -> None:
        try:
            self.client.calls(sid).update(twiml=twiml)
        except TwilioException as exc:
            raise _error(exc) from exc
