"""Jobs a user follows: one row per run with status, progress, result and error.

Pages and GET /api/jobs/{id} read the same row; the worker writes it as the work goes. Each write
commits on its own so progress is visible while the job still runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, select

from reachimpact.db import session_scope
from reachimpact.errors import NotFound
from reachimpact.models import Job, JobFile, JobStatus


class JobPublic(BaseModel):
    """What a user may see of a job."""

    id: uuid.UUID
    kind: str
    status: JobStatus
    progress: float
    message: str
    result: dict[str, Any]
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def create_job(
    session: Session,
    *,
    organization_id: uuid.UUID | None,
    kind: str,
    params: dict[str, Any] | None = None,
    created_by_id: uuid.UUID | None = None,
    request_id: str | None = None,
) -> Job:
    job = Job(
        organization_id=organization_id,
        kind=kind,
        params=params or {},
        created_by_id=created_by_id,
        request_id=request_id,
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, *, organization_id: uuid.UUID, job_id: uuid.UUID) -> JobPublic:
    """The job, if it belongs to `organization_id`; NotFound otherwise."""
    job = session.get(Job, job_id)
    if job is None or job.organization_id != organization_id:
        raise NotFound("job")
    return JobPublic.model_validate(job, from_attributes=True)


def _update(job_id: uuid.UUID, **changes: Any) -> Job:
    with session_scope() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None:
            raise NotFound("job")
        for key, value in changes.items():
            setattr(job, key, value)
        job.updated_at = datetime.now(UTC)
        return job


def mark_running(job_id: uuid.UUID) -> Job:
    return _update(job_id, status=JobStatus.RUNNING, started_at=datetime.now(UTC), error=None)


def report_progress(job_id: uuid.UUID, progress: float, message: str = "") -> None:
    _update(job_id, progress=min(max(progress, 0.0), 1.0), message=message[:500])


def mark_succeeded(job_id: uuid.UUID, result: dict[str, Any]) -> None:
    _update(job_id, status=JobStatus.SUCCEEDED, progress=1.0, result=result, finished_at=datetime.now(UTC))


def mark_failed(job_id: uuid.UUID, error: str) -> None:
    _update(job_id, status=JobStatus.FAILED, error=error, finished_at=datetime.now(UTC))


FILE_PIECE_BYTES = 1 << 20


def attach_file(session: Session, job_id: uuid.UUID, name: str, chunks: Iterable[bytes]) -> int:
    """Store a file for a job in pieces, reading `chunks` as they come; returns its size in bytes."""
    size, seq, buffer = 0, 0, bytearray()
    for chunk in chunks:
        buffer += chunk
        size += len(chunk)
        while len(buffer) >= FILE_PIECE_BYTES:
            session.add(JobFile(job_id=job_id, name=name, seq=seq, data=bytes(buffer[:FILE_PIECE_BYTES])))
            del buffer[:FILE_PIECE_BYTES]
            seq += 1
            session.flush()
    if buffer or seq == 0:
        session.add(JobFile(job_id=job_id, name=name, seq=seq, data=bytes(buffer)))
        session.flush()
    return size


def read_file(session: Session, job_id: uuid.UUID, name: str) -> Iterator[bytes]:
    """A job's file, piece by piece (one piece in memory at a time)."""
    seqs = session.exec(
        select(JobFile.seq).where(JobFile.job_id == job_id, JobFile.name == name).order_by(JobFile.seq)
    ).all()
    for seq in seqs:
        yield session.exec(
            select(JobFile.data).where(JobFile.job_id == job_id, JobFile.name == name, JobFile.seq == seq)
        ).one()


def open_file(
    session: Session, *, organization_id: uuid.UUID, job_id: uuid.UUID, name: str
) -> Iterator[bytes]:
    """A job's file for a user of the job's organization; NotFound for anyone else or no such file."""
    get_job(session, organization_id=organization_id, job_id=job_id)
    if session.exec(select(JobFile.id).where(JobFile.job_id == job_id, JobFile.name == name)).first() is None:
        raise NotFound("file")
    return read_file(session, job_id, name)
