"""Calls announce their changes in the live-change format of services/live_changes: {organization_id,
campaign_id, call_id}, as the services announce theirs (0007's trigger sent the call as "id", with its
status, which no page read).

Only the trigger's function changes; which call writes are announced (0007's triggers) stays as it was.
The SQL is frozen here, as history: tests/services/test_live_changes.py checks that what this trigger
sends parses to the Change that live_changes.encode describes, so a change of format there needs a new
revision, not an edit of this one.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 19:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOTIFY_FUNCTION = """
CREATE OR REPLACE FUNCTION reachimpact_notify_call_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('calls_changed', json_build_object(
        'organization_id', NEW.organization_id,
        'campaign_id', NEW.campaign_id,
        'call_id', NEW.id
    )::text);
    RETURN NULL;
END;
$$
"""
# 0007's, word for word.
_PREVIOUS_NOTIFY_FUNCTION = """
CREATE OR REPLACE FUNCTION reachimpact_notify_call_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('calls_changed', json_build_object(
        'id', NEW.id,
        'organization_id', NEW.organization_id,
        'campaign_id', NEW.campaign_id,
        'status', NEW.status
    )::text);
    RETURN NULL;
END;
$$
"""


def upgrade() -> None:
    op.execute(_NOTIFY_FUNCTION)


def downgrade() -> None:
    op.execute(_PREVIOUS_NOTIFY_FUNCTION)
