"""Reflex configuration. Ports come from the command line (see REFLEX_NOTES).

No db_url: every part of the app reaches PostgreSQL through reachimpact.db, and Reflex's own schema
check would misreport procrastinate's tables as drift.
"""

import reflex as rx

from reachimpact.settings import get_settings

settings = get_settings()

config = rx.Config(
    app_name="reachimpact",
    # With Redis, Reflex keeps state there and runs several backend workers (production).
    redis_url=settings.redis_url,
    backend_host="0.0.0.0" if settings.app_env == "prod" else "127.0.0.1",
    # Reflex's default is any origin, with credentials: only the site's own pages may call its backend.
    cors_allowed_origins=settings.allowed_origins(),
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
