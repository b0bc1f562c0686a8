"""Attempt limits kept in PostgreSQL, so they hold across app instances and restarts."""

from __future__ import annotations

import math

from sqlalchemy import text
from sqlmodel import Session

from reachimpact.errors import RateLimited

# One statement: a new key, an expired window (restart at 1) or a live one (count up), atomically.
_HIT = text(
    """
    INSERT INTO rate_limit_windows AS w (key, window_start, count)
    VALUES (:key, now(), 1)
    ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN w.window_start <= now() - make_interval(secs => :window)
                     THEN 1 ELSE w.count + 1 END,
        window_start = CASE WHEN w.window_start <= now() - make_interval(secs => :window)
                            THEN now() ELSE w.window_start END
    RETURNING count, EXTRACT(EPOCH FROM (w.window_start + make_interval(secs => :window) - now()))
    """
)


def hit(session: Session, key: str, *, limit: int, window_seconds: int) -> None:
    """Count one attempt under `key`; raise RateLimited past `limit` attempts per window.

    Commits at once: an attempt counts even if the caller's work fails afterwards.
    """
    count, seconds_left = session.execute(_HIT, {"key": key[:200], "window": window_seconds}).one()
    session.commit()
    if count > limit:
        retry_after = max(1, math.ceil(float(seconds_left)))
        raise RateLimited(f"Too many attempts. Try again in {retry_after} seconds.", retry_after)
