"""Every page's route, shared by the pages that register them and the sidebar that links to them."""

from __future__ import annotations

from dataclasses import dataclass

DASHBOARD = "/"
CONTACTS = "/contacts"
CAMPAIGNS = "/campaigns"
CALLS = "/calls"
CHAT = "/chat"
ANALYTICS = "/analytics"
SETTINGS = "/settings"


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
