"""What the UI says about a device, and about a refusal from a service."""

from __future__ import annotations

import pytest

from reachimpact.errors import Forbidden, NotFound, RateLimited
from reachimpact.state.forms import browser_id, user_message
from reachimpact.state.rows import describe_device


@pytest.mark.parametrize(
    ("user_agent", "described"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Firefox on Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            "Edge on macOS",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        ("", "Unknown device"),
        ("curl/8.5.0", "curl/8.5.0"),
    ],
)
def test_devices_are_described_the_way_people_name_them(user_agent: str, described: str) -> None:
    assert describe_device(user_agent) == described


def test_not_found_never_says_why() -> None:
    assert user_message(NotFound("member")) == "That member was not found; it may have been removed already."
    assert user_message(Forbidden("Your role (agent) cannot invite members.")) == (
        "Your role (agent) cannot invite members."
    )
    assert "Try again in 30 seconds" in user_message(
        RateLimited("Too many attempts. Try again in 30 seconds.", 30)
    )


@pytest.mark.parametrize("sent", ["", "not-an-id", "1 OR 1=1", "{}"])
def test_a_malformed_id_from_the_browser_is_not_found(sent: str) -> None:
    with pytest.raises(NotFound):
        browser_id(sent, "session")
