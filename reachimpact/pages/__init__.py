"""One module per page; importing this package registers them all with the app."""

from reachimpact.pages import (
    analytics,
    calls,
    campaigns,
    chat,
    contacts,
    dashboard,
    login,
    register,
    settings,
)

__all__ = [
    "analytics",
    "calls",
    "campaigns",
    "chat",
    "contacts",
    "dashboard",
    "login",
    "register",
    "settings",
]
