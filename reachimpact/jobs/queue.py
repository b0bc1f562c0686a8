"""The job queue itself: procrastinate's App on our PostgreSQL, and queueing a job inside a transaction.

This module imports no task. The App names the task modules in `import_paths`; procrastinate imports
them when the worker starts (and when a task is looked up by name), so the worker knows every task
while the web process loads only the tasks it defers by object.

procrastinate's own `defer` uses its own connection, so a job deferred beside a write could exist
without the write or the write without the job. `defer` here inserts the job row through
procrastinate's SQL function on our session's connection: both commit, or neither. The worker runs
the task registered under the same name.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import procrastinate
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from reachimpact.db import database_url, libpq_url
from reachimpact.jobs.worker import OutageTolerantApp
from reachimpact.settings import require_startable_settings

# Every module that registers tasks on `app`, one per family of tasks.
TASK_MODULES = ("reachimpact.jobs.imports", "reachimpact.jobs.dialer", "reachimpact.jobs.simulator")


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

app = OutageTolerantApp(
    # procrastinate's pool checks each connection before handing it out (a restart's are replaced);
    # waiting at most 5 s for one lets a worker that lost its database stop, and start again, sooner.
    connector=_DeferredURLConnector(min_size=1, max_size=4, timeout=5.0),
    import_paths=TASK_MODULES,
    # The dialer ticks each running campaign about once a second with jobs scheduled a second ahead;
    # a job scheduled ahead is found by polling (its NOTIFY came when it was queued, not when due).
    # Several slots, so a slow import or a webhook delivery never holds up the dialer.
    worker_defaults={"fetch_job_polling_interval": 0.25, "concurrency": 4},
)


_DEFER = sa.text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW("
    ":queue, :task, :priority, NULL, :queueing_lock, CAST(:args AS jsonb), :scheduled_at"
    ")::procrastinate_job_to_defer_v1]))"
)
_QUEUEING_LOCK_INDEX = "procrastinate_jobs_queueing_lock_idx_v1"


def defer(
    session: Session,
    *,
    task_name: str,
    queue: str,
    args: dict[str, Any],
    schedule_at: datetime | None = None,
    queueing_lock: str | None = None,
    priority: int = 0,
) -> int | None:
    """Queue `task_name(**args)` when the session commits. Returns the job id, or None when a job with
    the same `queueing_lock` is already waiting (which then stands for this one)."""
    try:
        # A savepoint: a taken queueing lock must not spoil the caller's transaction.
        with session.begin_nested():
            return session.execute(
                _DEFER,
                {
                    "queue": queue,
                    "task": task_name,
                    "priority": priority,
                    "queueing_lock": queueing_lock,
                    "args": json.dumps(args),
                    "scheduled_at": schedule_at,
                },
            ).scalar_one()
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        if constraint == _QUEUEING_LOCK_INDEX:
            return None
        raise
