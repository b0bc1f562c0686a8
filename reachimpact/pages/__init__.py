"""One module per page; importing this package registers them all with the app."""

from reachimpact.pages import (
    analytics,
    call_detail,
    calls,
    campaign_detail,
    campaigns,
    chat,
    contact_detail,
    contacts,
    dashboard,
    do_not_contact,
    login,
    register,
    settings,
)

__all__ = [
    "analytics",
    "call_detail",
    "calls",
    "campaign_detail",
    "campaigns",
    "chat",
    "contact_detail",
    "contacts",
    "dashboard",
    "do_not_contact",
    "login",
    "register",
    "settings",
]
