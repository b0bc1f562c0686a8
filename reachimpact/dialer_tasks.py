"""The dialer's and the simulator's jobs, on the same queue app as every other job (reachimpact.jobs).

- dialer.tick: one look at one campaign (services.dialer.run_tick); it queues the next one itself, in
  the same transaction as its dials, so a running campaign always has a tick waiting.
- dialer.watchdog (every 5 s): queues a tick for any running campaign that has none (a worker killed
  mid-tick, a restart); a waiting tick's queueing lock makes this a no-op otherwise.
- telephony.simulate_call: the next event of a simulated call (services.telephony.simulator).
- telephony.machine_answered: hang up on, or leave a message with, an answering machine.
- dialer.silent_calls (every minute): asks the provider about calls whose callbacks went quiet
  (services.silent_calls), so a lost final callback never holds a line for ever.
- dialer.cleanup (hourly): forget finished ticks and simulator events older than an hour.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from procrastinate import JobContext, RetryStrategy

from reachimpact.db import session_scope
from reachimpact.jobs import app
from reachimpact.services import call_events, dial_ticks, dialer, silent_calls
from reachimpact.services.telephony import get_provider, simulator

logger = logging.getLogger(__name__)


@app.task(name=dial_ticks.TICK_TASK, queue=dial_ticks.QUEUE, retry=False)
def dialer_tick(campaign_id: str) -> None:
    result = dialer.run_tick(uuid.UUID(campaign_id), provider=get_provider())
    logger.debug("tick %s: %s", campaign_id, result)


@app.periodic(cron="* * * * * */5", periodic_id="dialer-watchdog")
@app.task(name="dialer.watchdog", queue=dial_ticks.QUEUE, retry=False)
def dialer_watchdog(timestamp: int) -> None:
    with session_scope() as session:
        dialer.ensure_ticking(session)


@app.task(
    name=simulator.STEP_TASK,
    queue=simulator.QUEUE,
    # Like Twilio, keep trying for a while when our webhook endpoint is down (e.g. the app is starting).
    retry=RetryStrategy(max_attempts=8, exponential_wait=2),
)
def simulate_call(state: dict[str, Any], steps: list[dict[str, Any]], scale: float) -> None:
    simulator.run_step(state, steps, scale)


@app.task(
    name=call_events.MACHINE_TASK,
    queue=call_events.MACHINE_QUEUE,
    retry=RetryStrategy(max_attempts=3, wait=2),
)
def machine_answered(call_id: str) -> None:
    with session_scope() as session:
        call_events.act_on_machine(session, uuid.UUID(call_id), provider=get_provider())


@app.periodic(cron="* * * * *", periodic_id="dialer-silent-calls")
@app.task(name="dialer.silent_calls", queue=dial_ticks.QUEUE, retry=False)
def dialer_silent_calls(timestamp: int) -> None:
    settled = silent_calls.check_silent_calls(provider=get_provider())
    if settled:
        logger.info("settled %d quiet calls", settled)


@app.periodic(cron="17 * * * *", periodic_id="dialer-cleanup")
@app.task(name="dialer.cleanup", queue=dial_ticks.QUEUE, pass_context=True, retry=False)
async def dialer_cleanup(context: JobContext, timestamp: int) -> None:
    for queue in (dial_ticks.QUEUE, simulator.QUEUE):
        await context.app.job_manager.delete_old_jobs(nb_hours=1, queue=queue)
