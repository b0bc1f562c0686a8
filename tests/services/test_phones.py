"""Phone parsing: the fast path agrees with phonenumbers, and bad numbers say why."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from reachimpact.errors import Invalid
from reachimpact.services.phones import parse_phone, time_zone_for


def reference(raw: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def test_fast_path_gives_the_same_numbers_as_phonenumbers() -> None:
    rng = random.Random(7)
    shapes = [
        "({a}) {b}-{c}",
        "{a}-{b}-{c}",
        "{a}.{b}.{c}",
        "+1 {a} {b} {c}",
        "1{a}{b}{c}",
        "{a}{b}{c}",
        "+1({a}){b}-{c}",
    ]
    for _ in range(5000):
        a = f"{rng.randint(200, 999)}"
        b = f"{rng.randint(0, 999):03d}"
        c = f"{rng.randint(0, 9999):04d}"
        raw = rng.choice(shapes).format(a=a, b=b, c=c)
        assert parse_phone(raw).e164 == reference(raw), raw


@pytest.mark.parametrize(
    ("raw", "e164", "extension"),
    [
        ("(555) 010-2030", "+15550102030", None),
        ("+44 20 7946 0958", "+442079460958", None),
        ("(212) 555-0143 ext 12", "+12125550143", "12"),
        ("+1 800 FLOWERS", "+18003569377", None),
    ],
)
def test_numbers_people_write(raw: str, e164: str, extension: str | None) -> None:
    parsed = parse_phone(raw)
    assert (parsed.e164, parsed.extension) == (e164, extension)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("555-0100 ext 12", "missing its area code"),
        ("12", "too short"),
        ("call me", "not a phone number"),
        ("", "missing"),
        ("+1 415 555 01000000", "too long"),
    ],
)
def test_bad_numbers_say_why(raw: str, reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        parse_phone(raw)


def test_time_zone_from_the_number_when_it_is_unambiguous() -> None:
    assert time_zone_for("+12125550143") == "America/New_York"
    assert time_zone_for("+14155550100") == "America/Los_Angeles"
    assert time_zone_for("+18502000000") == "America/Chicago"  # a 7-digit prefix inside an Eastern area code
    assert time_zone_for("+442079460958") == "Europe/London"
    assert time_zone_for("+18003569377") is None  # toll-free: no single zone
