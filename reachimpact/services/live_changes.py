"""Live changes: the NOTIFY channels live pages listen on, and the one payload format on them.

A write that a page must see as it happens is announced with PostgreSQL NOTIFY, delivered at COMMIT (so
a page never shows a change that was rolled back). Two kinds of writer announce, in the same format:

- the services, through `announce` (a campaign's move: campaigns.change_status);
- the trigger on calls (migration 0011), for every call a page must see change, whoever writes it (the
  webhooks, the dialer, the simulator). It builds the same JSON object in SQL;
  tests/services/test_live_changes.py checks that what it sends parses here to the Change `encode`
  describes, so a change of format here fails until a new migration follows it.

The payload is a JSON object naming what changed: the organization (always), and the campaign and call
when there is one. Reading a payload (`parse`) is for state/live.py's listener, which fans the changes
out to the tabs that follow them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

logger = logging.getLogger(__name__)

# Calls (their status, outcome, recording, analysis) and campaigns' moves.
CALLS_CHANNEL = "calls_changed"
# Every channel the listener LISTENs on.
CHANNELS = (CALLS_CHANNEL,)


@dataclass(frozen=True)
class Change:
    """What one notification says changed; its fields are the payload's keys. Ids are text, as they arrive."""

    organization_id: str
    campaign_id: str | None = None
    call_id: str | None = None


def _text(value: Any) -> str | None:
    return str(value) if value else None


def encode(change: Change) -> str:
    """The payload of `change`: the object the trigger on calls builds too (missing ids as null)."""
    return json.dumps(asdict(change))


def announce(session: Session, change: Change, *, channel: str = CALLS_CHANNEL) -> None:
    """NOTIFY `change` on `channel` when the session's transaction commits (not at all if it rolls back)."""
    session.execute(sa.select(sa.func.pg_notify(channel, encode(change))))


def parse(payload: str) -> Change | None:
    """The change a payload describes; None (and a warning) for one that is not in this format."""
    try:
        fields: dict[str, Any] = json.loads(payload)
        organization_id = _text(fields["organization_id"])
        if organization_id is None:
            raise ValueError("no organization")
        return Change(
            organization_id=organization_id,
            campaign_id=_text(fields.get("campaign_id")),
            # "id": what the trigger of migration 0007 sent, heard while a deploy replaces old processes.
            call_id=_text(fields.get("call_id", fields.get("id"))),
        )
    except (ValueError, KeyError, TypeError):
        logger.warning("Ignoring a malformed live-change notification: %r", payload[:200])
        return None
