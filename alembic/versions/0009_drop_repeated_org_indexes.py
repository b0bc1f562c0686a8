"""Drop the organization_id indexes that only repeat the leading column of a composite index on the
same table (calls, campaigns, conversations, memberships, messages, opt-outs): the composite serves the
same lookups and cascades, and every index is one more insertion per loaded row.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 15:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("calls", "campaigns", "conversations", "memberships", "messages", "opt_outs")


def upgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_organization_id", table_name=table)


def downgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_organization_id", table, ["organization_id"])
