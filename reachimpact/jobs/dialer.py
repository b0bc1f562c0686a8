"""The dialer's tasks, on the dialer queue.

- dialer.tick: one look at one campaign (services.dialer.run_tick); it queues the next one itself, in
  the same transaction as its dials (jobs.ticks), so a running campaign always has a tick waiting.
- dialer.watchdog (every 5 s): queues a tick for any running campaign that has none (a worker killed
  mid-tick, a restart); a waiting tick's queueing lock makes this a no-op otherwise.
- dialer.silent_calls (every minute): asks the provider about calls whose callbacks went quiet
  (services.silent_calls), so a lost final callback never holds a line for ever.
- dialer.cleanup (hourly): forget finished ticks and simulator events older than an hour.
"""

from __future__ import annotations

import logging
import uuid

from procrastinate import JobContext

from reachimpact.db import session_scope
from reachimpact.jobs import ticks
from reachimpact.jobs.queue import app
from reachimpact.services import dialer, silent_calls
from reachimpact.services.telephony import get_provider, simulator

logger = logging.getLogger(__name__)


@app.task(name=ticks.TICK_TASK, queue=ticks.QUEUE, retry=False)
def dialer_tick(campaign_id: str) -> None:
    result = dialer.run_tick(uuid.UUID(campaign_id), provider=get_provider())
    logger.debug("tick %s: %s", campaign_id, result)


@app.periodic(cron="* * * * * */5", periodic_id="dialer-watchdog")
@app.task(name="dialer.watchdog", queue=ticks.QUEUE, retry=False)
def dialer_watchdog(timestamp: int) -> None:
    with session_scope() as session:
        dialer.ensure_ticking(session)


@app.periodic(cron="* * * * *", periodic_id="dialer-silent-calls")
@app.task(name="dialer.silent_calls", queue=ticks.QUEUE, retry=False)
def dialer_silent_calls(timestamp: int) -> None:
    settled = silent_calls.check_silent_calls(provider=get_provider())
    if settled:
        logger.info("settled %d quiet calls", settled)


@app.periodic(cron="17 * * * *", periodic_id="dialer-cleanup")
@app.task(name="dialer.cleanup", queue=ticks.QUEUE, pass_context=True, retry=False)
async def dialer_cleanup(context: JobContext, timestamp: int) -> None:
    # procrastinate's JobContext (this run's app and job), not a tracked job of ours.
    for queue in (ticks.QUEUE, simulator.QUEUE):
        await context.app.job_manager.delete_old_jobs(nb_hours=1, queue=queue)
