"""When the dialer next looks at a campaign: one queued `dialer.tick` job per running campaign.

The queueing lock keeps at most one tick waiting per campaign, however many times one is asked for
(the tick itself, start, resume, the watchdog). Asking inside the caller's transaction means a
campaign marked running always has its tick queued with it. The services (campaigns, dialer) call
`schedule_tick`, and the dialer's task module (jobs.dialer) runs the tick: this module sits between
them so that neither imports the other back.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from reachimpact.jobs.queue import defer

TICK_TASK = "dialer.tick"
QUEUE = "dialer"


def tick_lock(campaign_id: uuid.UUID) -> str:
    return f"dialer:{campaign_id}"


def schedule_tick(session: Session, campaign_id: uuid.UUID, *, at: datetime | None = None) -> None:
    """Have the dialer look at the campaign at `at` (now when None). A tick already waiting stands in
    for this one, brought forward when this one is sooner."""
    queued = defer(
        session,
        task_name=TICK_TASK,
        queue=QUEUE,
        args={"campaign_id": str(campaign_id)},
        schedule_at=at,
        queueing_lock=tick_lock(campaign_id),
    )
    if queued is None:
        session.execute(
            sa.text(
                "UPDATE procrastinate_jobs SET scheduled_at = :at WHERE queueing_lock = :lock "
                "AND status = 'todo' AND (scheduled_at IS NOT NULL AND (CAST(:at AS timestamptz) IS NULL "
                "OR scheduled_at > :at))"
            ),
            {"at": at, "lock": tick_lock(campaign_id)},
        )
