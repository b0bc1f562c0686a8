"""Phone numbers: any human spelling → E.164, and the time zone a number implies.

A number is accepted when it has the full length of a number in its country (phonenumbers'
IS_POSSIBLE). Stricter validity (known area codes) would reject the fictional 555 numbers that
organisations use in tests and demos, and a number Twilio cannot reach fails visibly at dial time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

from reachimpact.errors import Invalid

_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "has an unknown country code",
    ValidationResult.TOO_SHORT: "is too short",
    ValidationResult.INVALID_LENGTH: "has the wrong number of digits",
    ValidationResult.TOO_LONG: "is too long",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "is missing its area code",
}


@dataclass(frozen=True, slots=True)
class ParsedPhone:
    e164: str
    extension: str | None


# The common North American spellings: "(415) 555-0100", "415.555.0100", "+1 415 555 0100", "14155550100".
# phonenumbers takes ~20 µs a number; this takes ~1 µs and gives the same answer
# (tests/services/test_phones.py).
_NANP = re.compile(r"^(?:\+?1[\s.-]?)?\(?([2-9]\d{2})\)?[\s.-]?(\d{3})[\s.-]?(\d{4})$")


def parse_phone(raw: str, region: str = "US") -> ParsedPhone:
    """Read a number as people write it ("(415) 555-0100", "+44 20 7946 0958", "... ext 12")."""
    text = raw.strip()
    if region == "US" and (match := _NANP.match(text)):
        return ParsedPhone("+1" + "".join(match.groups()), None)
    if not text:
        raise Invalid("Phone is missing.")
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        raise Invalid(f"Phone {text!r} is not a phone number.") from None
    result = phonenumbers.is_possible_number_with_reason(number)
    if result != ValidationResult.IS_POSSIBLE:
        raise Invalid(f"Phone {text!r} {_REASONS.get(result, 'is not a valid number')}.")
    return ParsedPhone(phonenumbers.format_number(number, PhoneNumberFormat.E164), number.extension)


def normalize_phone(raw: str, region: str = "US") -> str:
    return parse_phone(raw, region).e164


def time_zone_for(e164: str) -> str | None:
    """The number's time zone when the number pins down exactly one (longest-prefix match on
    phonenumbers' own table, without parsing the number again)."""
    digits = e164.lstrip("+")
    for length in range(min(len(digits), TIMEZONE_LONGEST_PREFIX), 0, -1):
        zones = TIMEZONE_DATA.get(digits[:length])
        if zones is not None:
            return zones[0] if len(zones) == 1 and zones[0] != "Etc/Unknown" else None
    return None
