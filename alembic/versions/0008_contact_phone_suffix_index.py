"""Contacts: search by a number's last digits through a GIN over its last 3 and 4 digits, replacing the
btree over reverse(phone) that every imported row entered at a random page.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 10:31:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_contacts_org_phone_reversed", table_name="contacts")
    op.create_index(
        "ix_contacts_phone_suffixes",
        "contacts",
        [sa.literal_column('(ARRAY["right"(phone, 3), "right"(phone, 4)])')],
        unique=False,
        postgresql_using="gin",
    )


def downgrade() -> None:
    op.drop_index("ix_contacts_phone_suffixes", table_name="contacts", postgresql_using="gin")
    op.create_index(
        "ix_contacts_org_phone_reversed",
        "contacts",
        ["organization_id", sa.literal_column("reverse(phone)")],
        unique=False,
    )
