"""The TwiML our calls run: consent notice, the campaign's script, and the press-1 / press-9 menu."""

from __future__ import annotations

import re
from collections.abc import Mapping

from twilio.twiml.voice_response import Gather, VoiceResponse

MENU_PROMPT = "Press 1 to talk to us. Press 9 to stop these calls."
GATHER_TIMEOUT_SECONDS = 6

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"(^\s{0,3}#{1,6}\s*|^\s*[-*+]\s+|^\s*>\s?|[*_`~]+)", re.MULTILINE)


def speech_text(script: str, fields: Mapping[str, str]) -> str:
    """A markdown script as plain sentences for <Say>, with {first_name}-style fields filled in
    (an unknown field reads as nothing rather than as braces)."""
    text = _PLACEHOLDER.sub(lambda m: fields.get(m.group(1), ""), script)
    text = _MARKUP.sub("", _LINK.sub(r"\1", text))
    return " ".join(text.split())


def voice(*, script: str, consent: str | None, gather_url: str) -> str:
    """What a campaign call says once answered: the consent notice first when the call is recorded,
    then the script inside a one-key Gather, so a key pressed during the script counts."""
    response = VoiceResponse()
    if consent:
        response.say(consent)
    gather = Gather(
        input="dtmf", num_digits=1, timeout=GATHER_TIMEOUT_SECONDS, action=gather_url, method="POST"
    )
    if script:
        gather.say(script)
    gather.say(MENU_PROMPT)
    response.append(gather)
    response.say("Thank you for your time. Goodbye.")
    response.hangup()
    return str(response)


def after_key(digits: str, *, transfer_number: str | None, caller_id: str | None) -> str:
    """The answer to a key press: 1 connects to the campaign's number (or takes a call-back request),
    9 confirms the opt-out, anything else ends the call politely."""
    response = VoiceResponse()
    if digits == "1" and transfer_number:
        response.say("Connecting you now.")
        response.dial(transfer_number, caller_id=caller_id)
    elif digits == "1":
        response.say("Thank you. Someone from our team will call you back soon. Goodbye.")
        response.hangup()
    elif digits == "9":
        response.say("You will not receive any more calls from us. Goodbye.")
        response.hangup()
    else:
        response.say("Goodbye.")
        response.hangup()
    return str(response)


def message_then_hang_up(text: str) -> str:
    """A voicemail: the message after the beep, then hang up."""
    response = VoiceResponse()
    if text:
        response.say(text)
    response.hangup()
    return str(response)


def hang_up() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)
