"""The durable job queue (procrastinate on our PostgreSQL) and the tracked-job runner.

The worker runs as `procrastinate --app=reachimpact.jobs.app worker`. A *tracked* task writes its
progress, result and error to the `jobs` table (services.tracked_jobs), which pages and
GET /api/jobs/{id} read.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import procrastinate

from reachimpact.db import database_url, libpq_url, session_scope
from reachimpact.errors import DomainError, Invalid
from reachimpact.logging_setup import configure_logging, request_id_var
from reachimpact.models import Job, Organization
from reachimpact.services import contact_import, tracked_jobs
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

app = procrastinate.App(
    connector=_DeferredURLConnector(min_size=1, max_size=4),
    # The dialer ticks each running campaign about once a second with jobs scheduled a second ahead;
    # a job scheduled ahead is found by polling (its NOTIFY came when it was queued, not when due).
    # Several slots, so a slow import or a webhook delivery never holds up the dialer.
    worker_defaults={"fetch_job_polling_interval": 0.25, "concurrency": 4},
)


@dataclass(frozen=True)
class JobContext:
    """What a tracked task knows of its own run."""

    id: uuid.UUID
    organization_id: uuid.UUID | None
    created_by_id: uuid.UUID | None

    def progress(self, fraction: float, message: str = "") -> None:
        """Record how far the job is (0..1); committed at once so pages polling the job see it."""
        tracked_jobs.report_progress(self.id, fraction, message)


def tracked_task(name: str, **task_options: Any) -> Callable[[Callable[..., dict[str, Any]]], Any]:
    """Register `fn(job: JobContext, **params) -> result` as a queue task that records its run in `jobs`.

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
                result = fn(JobContext(job.id, job.organization_id, job.created_by_id), **params)
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
    files: dict[str, Iterable[bytes]] | None = None,
) -> uuid.UUID:
    """Record a job with its input files, queue its task, and return the id to follow it by."""
    params = params or {}
    request_id = request_id_var.get()

    def record() -> uuid.UUID:
        with session_scope() as session:
            job = tracked_jobs.create_job(
                session,
                organization_id=organization_id,
                kind=task.name,
                params=params,
                created_by_id=created_by_id,
                request_id=request_id,
            )
            for name, chunks in (files or {}).items():
                tracked_jobs.attach_file(session, job.id, name, chunks)
            return job.id

    # Storing an upload takes a while: off the event loop, which serves every other user meanwhile.
    job_id = await asyncio.to_thread(record)
    try:
        queue_id = await task.defer_async(job_id=str(job_id), **params)
    except Exception:
        tracked_jobs.mark_failed(job_id, "The job could not be queued; try again.")
        raise
    with session_scope() as session:
        row = session.get(Job, job_id)
        assert row is not None
        row.procrastinate_job_id = queue_id
    return job_id


# --- tasks --------------------------------------------------------------------------------------------

UPLOAD_FILE = "upload.csv"
ERRORS_FILE = "errors.csv"


@tracked_task(name="contacts.import_csv", retry=False)
def import_contacts_csv(job: JobContext, *, on_duplicate: str) -> dict[str, Any]:
    """Import the job's uploaded CSV into its organization's contacts (see services.contact_import)."""
    assert job.organization_id is not None
    with tempfile.TemporaryDirectory(prefix="reachimpact-import-") as folder:
        upload, errors = Path(folder) / UPLOAD_FILE, Path(folder) / ERRORS_FILE
        with session_scope() as session, upload.open("wb") as f:
            for piece in tracked_jobs.read_file(session, job.id, UPLOAD_FILE):
                f.write(piece)
            region = session.get(Organization, job.organization_id).default_region  # type: ignore[union-attr]
        with errors.open("w", encoding="utf-8", newline="") as errors_out:
            result = contact_import.import_contacts(
                upload,
                organization_id=job.organization_id,
                region=region,
                on_duplicate=contact_import.DuplicatePolicy(on_duplicate),
                errors_out=errors_out,
                progress=job.progress,
            )
        if result.rejected:
            with session_scope() as session, errors.open("rb") as f:
                tracked_jobs.attach_file(session, job.id, ERRORS_FILE, iter(lambda: f.read(1 << 20), b""))
    return {
        "imported": result.imported,
        "updated": result.updated,
        "skipped": result.skipped,
        "rejected": result.rejected,
        "rows": result.rows,
        "columns": result.columns,
        "error_csv": f"/api/jobs/{job.id}/files/{ERRORS_FILE}" if result.rejected else None,
    }


async def start_contact_import(
    *, organization_id: uuid.UUID, user_id: uuid.UUID | None, path: Path, on_duplicate: str
) -> uuid.UUID:
    """Check the file's header now (a file with no phone column fails at once), then queue the import."""
    if on_duplicate not in {p.value for p in contact_import.DuplicatePolicy}:
        raise Invalid("on_duplicate must be skip or update.")
    await asyncio.to_thread(contact_import.read_layout, path)

    def pieces() -> Iterator[bytes]:
        with path.open("rb") as f:
            yield from iter(lambda: f.read(1 << 20), b"")

    return await start_job(
        import_contacts_csv,
        organization_id=organization_id,
        created_by_id=user_id,
        params={"on_duplicate": on_duplicate},
        files={UPLOAD_FILE: pieces()},
    )


# The dialer's and the call simulator's tasks register on `app` (imported last: they import `app`).
from reachimpact import dialer_tasks  # noqa: E402, F401
