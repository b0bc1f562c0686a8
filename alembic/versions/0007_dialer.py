"""The dialer and the call webhooks: the campaign's pace, a failed call's Twilio error code, webhook
deliveries kept as each call's timeline, and NOTIFY calls_changed on every call a page must see change.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 08:17:12.518153
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Live pages LISTEN on calls_changed (REFLEX_NOTES, "Live updates"); NOTIFY is delivered at COMMIT.
# A call inserted already finished (the demo seed, a Firebase import) is history, not news: only
# live calls and real changes are announced, so a bulk load sends nothing.
_NOTIFY_FUNCTION = """
CREATE FUNCTION reachimpact_notify_call_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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
_INSERT_TRIGGER = """
CREATE TRIGGER calls_notify_inserted AFTER INSERT ON calls FOR EACH ROW
WHEN (NEW.status NOT IN ('completed', 'busy', 'no-answer', 'failed', 'canceled'))
EXECUTE FUNCTION reachimpact_notify_call_changed()
"""
_UPDATE_TRIGGER = """
CREATE TRIGGER calls_notify_updated AFTER UPDATE ON calls FOR EACH ROW
WHEN (
    (OLD.status, OLD.twilio_sid, OLD.answered_by, OLD.duration_seconds, OLD.recording_url, OLD.transcript,
     OLD.summary, OLD.sentiment, OLD.outcome, OLD.error_code)
    IS DISTINCT FROM
    (NEW.status, NEW.twilio_sid, NEW.answered_by, NEW.duration_seconds, NEW.recording_url, NEW.transcript,
     NEW.summary, NEW.sentiment, NEW.outcome, NEW.error_code)
)
EXECUTE FUNCTION reachimpact_notify_call_changed()
"""


def upgrade() -> None:
    op.add_column("calls", sa.Column("error_code", sa.String(length=16), nullable=True))
    op.add_column("campaigns", sa.Column("next_dial_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "webhook_events",
        sa.Column("organization_id", sa.Uuid(), sa.ForeignKey("organizations.id", ondelete="CASCADE")),
    )
    op.add_column(
        "webhook_events", sa.Column("call_id", sa.Uuid(), sa.ForeignKey("calls.id", ondelete="CASCADE"))
    )
    op.add_column(
        "webhook_events", sa.Column("kind", sa.String(length=16), server_default="", nullable=False)
    )
    op.add_column(
        "webhook_events",
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )
    op.create_index("ix_webhook_events_call_created", "webhook_events", ["call_id", "created_at"])
    op.execute(_NOTIFY_FUNCTION)
    op.execute(_INSERT_TRIGGER)
    op.execute(_UPDATE_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER calls_notify_updated ON calls")
    op.execute("DROP TRIGGER calls_notify_inserted ON calls")
    op.execute("DROP FUNCTION reachimpact_notify_call_changed()")
    op.drop_index("ix_webhook_events_call_created", table_name="webhook_events")
    for column in ("payload", "kind", "call_id", "organization_id"):
        op.drop_column("webhook_events", column)
    op.drop_column("campaigns", "next_dial_at")
    op.drop_column("calls", "error_code")
