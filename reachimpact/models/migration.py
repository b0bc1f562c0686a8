"""Bookkeeping of the Firebase → PostgreSQL migration tools: batches and the id map."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from reachimpact.models.base import created_at_field, id_field, jsonb_field, timestamp_field


class MigrationBatch(SQLModel, table=True):
    """One run of the migration tools; rollback removes exactly the rows of one batch."""

    __tablename__ = "migration_batches"

    id: uuid.UUID = id_field()
    source_project: str = Field(max_length=200)
    # SHA-256 of the transformed export it loads: loading the same export again resumes this batch.
    export_sha256: str | None = Field(default=None, max_length=64, index=True)
    status: str = Field(
        default="running", max_length=16
    )  # running | loaded | validated | rolled_back | failed
    counts: dict = jsonb_field()
    # Run folder, rejects per table, validation outcome: what `status` shows beside the counts.
    details: dict = jsonb_field()
    started_at: datetime = created_at_field()
    finished_at: datetime | None = timestamp_field()


class MigrationIdMap(SQLModel, table=True):
    """Where each Firebase document or user landed.

    Keyed by the document, with no surrogate id and no foreign key to its batch: the load writes an
    entry for every row it inserts, and a random-uuid key and a trigger per entry made these entries
    cost a first load more than the rows themselves (40k contacts: 356 ms against 128 ms). Only the
    load writes here, into the batch it has just created, and batches are never deleted (rollback marks
    its batch and deletes the batch's entries itself).
    """

    __tablename__ = "migration_id_map"
    __table_args__ = (sa.Index("ix_migration_id_map_batch_table", "batch_id", "table_name"),)

    batch_id: uuid.UUID
    collection: str = Field(primary_key=True, max_length=100)  # Firestore collection path, or "auth"
    firebase_id: str = Field(primary_key=True, max_length=128)
    table_name: str = Field(max_length=64)
    row_id: uuid.UUID
    created_at: datetime = created_at_field()
