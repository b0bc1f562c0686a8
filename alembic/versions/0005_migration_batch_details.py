"""Migration tools: batches know their export and details; users keep what Firebase Auth knew.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 08:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("migration_batches", sa.Column("export_sha256", sa.String(length=64), nullable=True))
    op.add_column(
        "migration_batches",
        sa.Column("details", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
    )
    op.create_index(
        op.f("ix_migration_batches_export_sha256"), "migration_batches", ["export_sha256"], unique=False
    )
    op.add_column(
        "users",
        sa.Column("firebase_auth", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("users", "firebase_auth")
    op.drop_index(op.f("ix_migration_batches_export_sha256"), table_name="migration_batches")
    op.drop_column("migration_batches", "details")
    op.drop_column("migration_batches", "export_sha256")
