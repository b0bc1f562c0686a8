"""The call simulator's tasks, on the telephony queue (services.telephony.simulator plays Twilio's part).

- telephony.simulate_call: the next event of a simulated call, delivered to our webhooks.
- telephony.machine_answered: hang up on, or leave a message with, an answering machine
  (services.call_events queues it when the AMD verdict says machine).
"""

from __future__ import annotations

import uuid
from typing import Any

from procrastinate import RetryStrategy

from reachimpact.db import session_scope
from reachimpact.jobs.queue import app
from reachimpact.services import call_events
from reachimpact.services.telephony import get_provider, simulator


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
