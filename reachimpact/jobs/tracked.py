"""Tracked jobs, the ones a user follows: one row per run with status, progress, result, error and files.

Pages and GET /api/jobs/{id} read the same row; the worker writes it as the work goes. Each write
commits on its own so progress is visible while the job still runs. `tracked_task` registers a task
that keeps its row up to date, `start_job` records a run and queues it, and the task sees its run as a
`TrackedJob` (procrastinate's own per-run object is its JobContext, which our tasks do not need).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, select

from reachimpact.db import session_scope
from reachimpact.errors import DomainError, NotFound
from reachimpact.jobs.queue import app
from reachimpact.logging_setup import configure_logging, request_id_var
from reachimpact.models import Job, JobFile, JobStatus

logger = logging.getLogger(__name__)

# --- the rows ------------------------------------------------------------------------------------------


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


# --- the runner ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackedJob:
    """What a tracked task knows of its own run."""

    id: uuid.UUID
    organization_id: uuid.UUID | None
    created_by_id: uuid.UUID | None

    def progress(self, fraction: float, message: str = "") -> None:
        """Record how far the job is (0..1); committed at once so pages polling the job see it."""
        report_progress(self.id, fraction, message)


def tracked_task(name: str, **task_options: Any) -> Callable[[Callable[..., dict[str, Any]]], Any]:
    """Register `fn(job: TrackedJob, **params) -> result` as a queue task that records its run in `jobs`.

    A failure is recorded with a message a user may read: a DomainError's own text, otherwise only
    the request id to find the traceback in the logs.
    """

    def decorator(fn: Callable[..., dict[str, Any]]) -> Any:
        @app.task(name=name, **task_options)
        @functools.wraps(fn)
        def run(job_id: str, **params: Any) -> None:
            configure_logging()
            job = mark_running(uuid.UUID(job_id))
            token = request_id_var.set(job.request_id or f"job-{job.id.hex[:12]}")
            try:
                result = fn(TrackedJob(job.id, job.organization_id, job.created_by_id), **params)
            except DomainError as exc:
                mark_failed(job.id, str(exc))
                raise
            except Exception:
                logger.exception("job %s (%s) failed", job.id, name)
                mark_failed(job.id, f"Unexpected error (request id {request_id_var.get()}).")
                raise
            else:
                mark_succeeded(job.id, result)
            finally:
                request_id_var.reset(token)

        return run

    return decorator


async def start_job(
    task: Any,
    *,
    organization_id: uuid.UUID | None,
    params: dict[str, Any] | None = None,
    created_by_id: uuid.UUID | None = None,
    files: dict[str, Iterable[bytes]] | None = None,
) -> uuid.UUID:
    """Record a job with its input files, queue its task, and return the id to follow it by."""
    params = params or {}
    request_id = request_id_var.get()

    def record() -> uuid.UUID:
        with session_scope() as session:
            job = create_job(
                session,
                organization_id=organization_id,
                kind=task.name,
                params=params,
                created_by_id=created_by_id,
                request_id=request_id,
            )
            for name, chunks in (files or {}).items():
                attach_file(session, job.id, name, chunks)
            return job.id

    # Storing an upload takes a while: off the event loop, which serves every other user meanwhile.
    job_id = await asyncio.to_thread(record)
    try:
        queue_id = await task.defer_async(job_id=str(job_id), **params)
    except Exception:
        mark_failed(job_id, "The job could not be queued; try again.")
        raise
    with session_scope() as session:
        row = session.get(Job, job_id)
        assert row is not None
        row.procrastinate_job_id = queue_id
    return job_id
