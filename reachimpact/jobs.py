"""The durable job queue (procrastinate on our PostgreSQL) and the tracked-job runner.

The worker runs as `procrastinate --app=reachimpact.jobs.app worker`. A *tracked* task writes its
progress, result and error to the `jobs` table (services.tracked_jobs), which pages and
GET /api/jobs/{id} read.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import procrastinate

from reachimpact.db import database_url, libpq_url, session_scope
from reachimpact.errors import DomainError
from reachimpact.logging_setup import configure_logging, request_id_var
from reachimpact.models import Job
from reachimpact.services import tracked_jobs
from reachimpact.settings import require_startable_settings

logger = logging.getLogger(__name__)


class _DeferredURLConnector(procrastinate.PsycopgConnector):
    """Reads the database URL when first opened, not at import: importing this module must not start
    the embedded development database (the reflex CLI and the deploy-file test import it)."""

    def _resolve_conninfo(self) -> None:
        self._pool_args.setdefault("conninfo", libpq_url(database_url()))

    async def open_async(self, pool: Any = None) -> None:
        self._resolve_conninfo()
        await super().open_async(pool)

    def get_sync_connector(self) -> Any:
        self._resolve_conninfo()
        return super().get_sync_connector()


require_startable_settings()

app = procrastinate.App(connector=_DeferredURLConnector(min_size=1, max_size=4))


class Progress(Protocol):
    def __call__(self, progress: float, message: str = "") -> None: ...


def tracked_task(name: str, **task_options: Any) -> Callable[[Callable[..., dict[str, Any]]], Any]:
    """Register `fn(progress, **params) -> result` as a queue task that records its run in `jobs`.

    A failure is recorded with a message a user may read: a DomainError's own text, otherwise only
    the request id to find the traceback in the logs.
    """

    def decorator(fn: Callable[..., dict[str, Any]]) -> Any:
        @app.task(name=name, **task_options)
        @functools.wraps(fn)
        def run(job_id: str, **params: Any) -> None:
            configure_logging()
            job = tracked_jobs.mark_running(uuid.UUID(job_id))
            token = request_id_var.set(job.request_id or f"job-{job.id.hex[:12]}")
            try:
                result = fn(functools.partial(tracked_jobs.report_progress, job.id), **params)
            except DomainError as exc:
                tracked_jobs.mark_failed(job.id, str(exc))
                raise
            except Exception:
                logger.exception("job %s (%s) failed", job.id, name)
                tracked_jobs.mark_failed(job.id, f"Unexpected error (request id {request_id_var.get()}).")
                raise
            else:
                tracked_jobs.mark_succeeded(job.id, result)
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
) -> uuid.UUID:
    """Record a job, queue its task, and return the id to follow it by."""
    params = params or {}
    with session_scope() as session:
        job = tracked_jobs.create_job(
            session,
            organization_id=organization_id,
            kind=task.name,
            params=params,
            created_by_id=created_by_id,
            request_id=request_id_var.get(),
        )
    try:
        queue_id = await task.defer_async(job_id=str(job.id), **params)
    except Exception:
        tracked_jobs.mark_failed(job.id, "The job could not be queued; try again.")
        raise
    with session_scope() as session:
        row = session.get(Job, job.id)
        assert row is not None
        row.procrastinate_job_id = queue_id
    return job.id
