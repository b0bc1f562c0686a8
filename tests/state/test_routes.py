"""Where the sign-in page may send a user afterwards: only to a page of this site."""

from __future__ import annotations

import pytest

from reachimpact import routes


@pytest.mark.parametrize(
    "target",
    ["/contacts", "/settings?tab=members", "/calls#latest", "/chat?next=https://evil.example"],
)
def test_a_path_on_this_site_is_followed(target: str) -> None:
    assert routes.safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "contacts",
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "/login?next=/contacts",
        "/register",
    ],
)
def test_anything_else_goes_to_the_dashboard(target: str | None) -> None:
    assert routes.safe_next(target) == routes.DASHBOARD


def test_login_url_carries_the_page_to_come_back_to() -> None:
    assert routes.login_url("/contacts?page=2") == "/login?next=%2Fcontacts%3Fpage%3D2"
    assert routes.login_url("/") == "/login"
    assert routes.login_url("https://evil.example") == "/login"
