"""Calls under way that the provider went quiet about: asked after, and settled from its answer.

Twilio retries a callback for a while, then drops it. A call whose final status never arrives would stay
"in progress" for ever, holding one of its campaign's lines and keeping the campaign from completing.
Every minute (the dialer.silent_calls job) the calls not heard from for SILENT_AFTER are looked up with
the provider. A final status it reports goes through exactly the path a status callback takes
(call_events.handle_status: idempotent, never backwards, the contact settled by the campaign's retry
policy), so the real callback arriving late changes nothing. A call the provider cannot account for
once it is GIVE_UP_AFTER old is written off as failed, with the outcome "lost".
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlmodel import col, select

from reachimpact.db import session_scope
from reachimpact.models import FINAL_CALL_STATUSES, Call, CallStatus
from reachimpact.services import call_events
from reachimpact.services.dialer import utcnow
from reachimpact.services.telephony import CallReport, TelephonyError, TelephonyProvider

logger = logging.getLogger(__name__)

# Twilio stops ringing after a minute, so only a long conversation stays quiet this long.
SILENT_AFTER = timedelta(minutes=10)
GIVE_UP_AFTER = timedelta(hours=4)
BATCH = 100


def _silent(now: datetime) -> list[tuple[uuid.UUID, str, datetime]]:
    with session_scope() as session:
        rows = session.exec(
            select(Call.id, Call.twilio_sid, Call.created_at)
            .where(
                col(Call.status).not_in([s.value for s in FINAL_CALL_STATUSES]),
                col(Call.twilio_sid).is_not(None),
                col(Call.updated_at) < now - SILENT_AFTER,
            )
            .order_by(col(Call.updated_at))
            .limit(BATCH)
        ).all()
    return [(call_id, sid, created) for call_id, sid, created in rows if sid]


def _ask(provider: TelephonyProvider, sid: str) -> CallReport | None:
    try:
        return provider.call_report(sid)
    except TelephonyError as exc:
        logger.warning("call %s: the provider cannot say how it stands (%s)", sid, exc)
        return None


def check_silent_calls(*, provider: TelephonyProvider, now: datetime | None = None) -> int:
    """Settle what can be settled of the quiet calls; returns how many were settled."""
    now = now or utcnow()
    settled = 0
    # The provider is asked outside any transaction: no call's row stays locked while it answers.
    for call_id, sid, created_at in _silent(now):
        report = _ask(provider, sid)
        fields = {"CallSid": sid}
        if report is not None and report.status in FINAL_CALL_STATUSES:
            fields["CallStatus"] = report.status
            if report.duration_seconds is not None:
                fields["CallDuration"] = str(report.duration_seconds)
        elif report is None and now - created_at > GIVE_UP_AFTER:
            fields["CallStatus"] = CallStatus.FAILED.value
        else:
            with session_scope() as session:  # still under way, or unknown for now: ask again later
                call = session.get(Call, call_id)
                if call is not None and call.status not in FINAL_CALL_STATUSES:
                    call.updated_at = now
            continue
        with session_scope() as session:
            call_events.handle_status(session, call_id=call_id, fields=fields, now=now)
            if report is None:
                call = session.get(Call, call_id, populate_existing=True)
                if call is not None and call.outcome is None:
                    call.outcome = "lost"
        logger.info("call %s: settled as %s from the provider's account", sid, fields["CallStatus"])
        settled += 1
    return settled
