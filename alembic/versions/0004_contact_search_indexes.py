"""Contacts: indexes for keyset paging and prefix search; phone in byte-wise ("C") collation.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 07:46:26.122171
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # By hand: Alembic compares no collations, and op.alter_column drops the COLLATE clause.
    # The unique (organization_id, phone) index is rebuilt with it and then serves LIKE '+1415%'.
    op.execute('ALTER TABLE contacts ALTER COLUMN phone TYPE varchar(20) COLLATE "C"')
    op.drop_index(op.f("ix_contacts_phone"), table_name="contacts")
    op.drop_index(op.f("ix_contacts_org_created"), table_name="contacts")
    op.create_index(
        "ix_contacts_org_created", "contacts", ["organization_id", "created_at", "id"], unique=False
    )
    op.create_index(
        "ix_contacts_org_email",
        "contacts",
        ["organization_id", sa.literal_column('lower(email) COLLATE "C"')],
        unique=False,
    )
    op.create_index(
        "ix_contacts_org_first_name",
        "contacts",
        ["organization_id", sa.literal_column('lower(first_name) COLLATE "C"')],
        unique=False,
    )
    op.create_index(
        "ix_contacts_org_name",
        "contacts",
        [
            "organization_id",
            sa.literal_column('lower(last_name) COLLATE "C"'),
            sa.literal_column('lower(first_name) COLLATE "C"'),
            "id",
        ],
        unique=False,
    )
    op.create_index(
        "ix_contacts_org_phone_reversed",
        "contacts",
        ["organization_id", sa.literal_column("reverse(phone)")],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_contacts_org_phone_reversed", table_name="contacts")
    op.drop_index("ix_contacts_org_name", table_name="contacts")
    op.drop_index("ix_contacts_org_first_name", table_name="contacts")
    op.drop_index("ix_contacts_org_email", table_name="contacts")
    op.drop_index("ix_contacts_org_created", table_name="contacts")
    op.create_index(
        op.f("ix_contacts_org_created"), "contacts", ["organization_id", "created_at"], unique=False
    )
    op.create_index(op.f("ix_contacts_phone"), "contacts", ["phone"], unique=False)
    op.execute('ALTER TABLE contacts ALTER COLUMN phone TYPE varchar(20) COLLATE "default"')
