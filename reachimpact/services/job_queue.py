"""Queueing a job inside the caller's own transaction.

procrastinate's `defer` uses its own connection, so a job deferred beside a write could exist without
the write or the write without the job. Here the job row is inserted through procrastinate's own SQL
function on our session's connection: both commit, or neither. The worker (reachimpact.jobs) runs
the task registered under the same name.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

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
