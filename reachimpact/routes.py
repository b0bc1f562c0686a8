"""Every page's route, shared by the pages that register them and the sidebar that links to them."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

DASHBOARD = "/"
CONTACTS = "/contacts"
# A static segment outranks the dynamic one, so /contacts/do-not-contact is never read as a contact id.
DO_NOT_CONTACT = "/contacts/do-not-contact"
CONTACT_DETAIL = "/contacts/[contact_id]"
CAMPAIGNS = "/campaigns"
CAMPAIGN_DETAIL = "/campaigns/[campaign_id]"
CALLS = "/calls"
CALL_DETAIL = "/calls/[call_id]"
CHAT = "/chat"
ANALYTICS = "/analytics"
SETTINGS = "/settings"
LOGIN = "/login"
REGISTER = "/register"


@dataclass(frozen=True)
class NavItem:
    label: str
    route: str
    icon: str  # a lucide icon name, as rx.icon spells it


# The sidebar's order; each label is also its page's heading.
NAVIGATION: tuple[NavItem, ...] = (
    NavItem("Dashboard", DASHBOARD, "layout-dashboard"),
    NavItem("Contacts", CONTACTS, "users"),
    NavItem("Campaigns", CAMPAIGNS, "megaphone"),
    NavItem("Calls", CALLS, "phone"),
    NavItem("Chat", CHAT, "message-square"),
    NavItem("Analytics", ANALYTICS, "chart-bar"),
    NavItem("Settings", SETTINGS, "settings"),
)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: `target` if it is a path on this site, else the dashboard.

    Anything else would make the sign-in page an open redirect: a link to it could send a freshly
    signed-in user to another site ("https://evil.example", "//evil.example").
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return DASHBOARD
    # Browsers read a backslash as "/" ("/\evil.example" is another site) and drop tabs and newlines.
    if any(char == "\\" or ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return DASHBOARD
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path in (LOGIN, REGISTER):
        return DASHBOARD
    return target


def contact_url(contact_id: str) -> str:
    """The detail page of one contact."""
    return f"{CONTACTS}/{contact_id}"


def campaign_url(campaign_id: str) -> str:
    return f"{CAMPAIGNS}/{campaign_id}"


def call_url(call_id: str) -> str:
    return f"{CALLS}/{call_id}"


def login_url(next_path: str | None = None) -> str:
    """The sign-in page, asked to come back to `next_path` afterwards."""
    target = safe_next(next_path)
    return LOGIN if target == DASHBOARD else f"{LOGIN}?{urlencode({'next': target})}"
