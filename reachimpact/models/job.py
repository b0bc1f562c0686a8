"""Long work followed by the user: progress, result and error of one job-queue run."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from reachimpact.models.base import (
    check_in,
    created_at_field,
    foreign_key_field,
    id_field,
    jsonb_field,
    text_field,
    timestamp_field,
    updated_at_field,
)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Job(SQLModel, table=True):
    __tablename__ = "jobs"
    __table_args__ = (
        check_in("status", JobStatus, "ck_jobs_status"),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name="ck_jobs_progress"),
    )

    id: uuid.UUID = id_field()
    # NULL only for system jobs that belong to no organization.
    organization_id: uuid.UUID | None = foreign_key_field("organizations.id", ondelete="CASCADE")
    created_by_id: uuid.UUID | None = foreign_key_field("users.id", index=False)
    kind: str = Field(max_length=64)
    status: str = Field(default=JobStatus.QUEUED, max_length=16)
    progress: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    message: str = Field(default="", max_length=500)
    params: dict = jsonb_field()
    result: dict = jsonb_field()
    error: str | None = text_field()
    request_id: str | None = Field(default=None, max_length=64)
    procrastinate_job_id: int | None = None
    started_at: datetime | None = timestamp_field()
    finished_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class JobFile(SQLModel, table=True):
    """A file a job reads or writes (an upload, an error report), in 1 MB pieces.

    Kept in PostgreSQL rather than on disk: the app and the worker may run on different machines.
    """

    __tablename__ = "job_files"
    __table_args__ = (sa.UniqueConstraint("job_id", "name", "seq", name="uq_job_files_piece"),)

    id: uuid.UUID = id_field()
    job_id: uuid.UUID = foreign_key_field("jobs.id", nullable=False, ondelete="CASCADE", index=False)
    name: str = Field(max_length=100)
    seq: int
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    created_at: datetime = created_at_field()
