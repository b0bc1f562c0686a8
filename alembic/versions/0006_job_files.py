"""Files that jobs read and write (uploads, error reports), stored in 1 MB pieces; and contacts lose
an index that only repeated the leading column of the others (each index slows imports).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 07:55:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_files",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job_id", "name", "seq", name="uq_job_files_piece"),
    )
    op.drop_index("ix_contacts_organization_id", table_name="contacts")


def downgrade() -> None:
    op.create_index("ix_contacts_organization_id", "contacts", ["organization_id"])
    op.drop_table("job_files")
