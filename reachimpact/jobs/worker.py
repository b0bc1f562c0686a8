"""The job worker rides out a database outage: it starts procrastinate's worker again until the
database answers, and exits non-zero when it stays away too long, so that Fly restarts the machine.

procrastinate 3.10's worker stops for good when a side task (the LISTEN connection, the heartbeat, the
periodic deferrer) fails, and returns as if asked to stop: the process used to exit with status 0 after
a restart of PostgreSQL or a failover, and nothing ran again. Jobs stay in their table meanwhile; a
worker started again picks the queued ones up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import procrastinate
import psycopg
from procrastinate import worker as procrastinate_worker

from reachimpact.settings import get_settings

logger = logging.getLogger(__name__)

RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 8.0
# A worker that ran this long before it failed was not in the middle of an outage: a new one starts.
HEALTHY_RUN_SECONDS = 30.0


class DatabaseGone(SystemExit):
    """The database stayed away longer than the worker waits for it: exit non-zero."""

    def __init__(self, seconds: float, cause: BaseException) -> None:
        super().__init__(f"The job worker could not reach the database for {seconds:.0f} s ({cause}).")


class _Worker(procrastinate_worker.Worker):
    """procrastinate's worker, remembering why a side task stopped it (it would only log it)."""

    failure: BaseException | None = None

    async def _monitor_side_tasks(self, side_tasks: list[asyncio.Task[Any]]) -> None:
        await super()._monitor_side_tasks(side_tasks)
        for task in side_tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                self.failure = task.exception()


class OutageTolerantApp(procrastinate.App):
    def _worker(self, **kwargs: Any) -> _Worker:
        return _Worker(app=self, **{**self.worker_defaults, **kwargs})

    async def run_worker_async(self, **kwargs: Any) -> None:
        """Run the worker until it is asked to stop; through a database outage of up to
        WORKER_DATABASE_OUTAGE_SECONDS, start it again with a growing delay."""
        self.perform_import_paths()
        patience = get_settings().worker_database_outage_seconds
        down_since: float | None = None
        delay = RETRY_FIRST_SECONDS
        while True:
            started = time.monotonic()
            worker = self._worker(**kwargs)
            try:
                await worker.run()
                failure = worker.failure
            except (procrastinate.exceptions.ConnectorException, psycopg.Error, OSError) as exc:
                failure = exc
            if failure is None:
                return  # asked to stop (a signal, or no job left with wait=False)
            now = time.monotonic()
            if down_since is None or now - started > HEALTHY_RUN_SECONDS:
                down_since, delay = now, RETRY_FIRST_SECONDS
            if now - down_since > patience:
                raise DatabaseGone(now - down_since, failure)
            logger.warning("The job worker lost the database (%s); starting again in %.1f s", failure, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)
