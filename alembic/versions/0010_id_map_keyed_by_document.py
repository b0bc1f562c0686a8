"""The migration id map is keyed by its document (collection, firebase_id), with no surrogate id and no
foreign key to its batch, and indexed by (batch_id, table_name) for rollback and validation: the load
writes an entry per inserted row, and the random-uuid key and the per-entry trigger made the entries
cost a first load more than the rows themselves.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 15:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("migration_id_map_batch_id_fkey", "migration_id_map", type_="foreignkey")
    op.drop_index("ix_migration_id_map_batch_id", table_name="migration_id_map")
    op.drop_constraint("migration_id_map_pkey", "migration_id_map", type_="primary")
    op.drop_column("migration_id_map", "id")
    op.drop_constraint("uq_migration_id_map_source", "migration_id_map", type_="unique")
    op.create_primary_key("migration_id_map_pkey", "migration_id_map", ["collection", "firebase_id"])
    op.create_index("ix_migration_id_map_batch_table", "migration_id_map", ["batch_id", "table_name"])


def downgrade() -> None:
    op.drop_index("ix_migration_id_map_batch_table", table_name="migration_id_map")
    op.drop_constraint("migration_id_map_pkey", "migration_id_map", type_="primary")
    op.create_unique_constraint(
        "uq_migration_id_map_source", "migration_id_map", ["collection", "firebase_id"]
    )
    op.add_column(
        "migration_id_map",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
    )
    op.create_primary_key("migration_id_map_pkey", "migration_id_map", ["id"])
    op.create_index("ix_migration_id_map_batch_id", "migration_id_map", ["batch_id"])
    op.create_foreign_key(
        "migration_id_map_batch_id_fkey",
        "migration_id_map",
        "migration_batches",
        ["batch_id"],
        ["id"],
        ondelete="CASCADE",
    )
