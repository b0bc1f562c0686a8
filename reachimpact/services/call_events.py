"""What Twilio (or the simulator) tells us about a call, applied once and in order.

Every delivery is first recorded in webhook_events under a key made of the CallSid and the event;
a retried delivery finds its key taken and changes nothing. A call's status only moves forward
(queued → initiated → ringing → in-progress → a final status): a late "ringing" after "completed"
is kept in the timeline and otherwise ignored. The signature is checked before any of this, by the
router (services.telephony.signatures).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, select

from reachimpact.errors import Invalid
from reachimpact.models import (
    FINAL_CALL_STATUSES,
    Call,
    CallStatus,
    Campaign,
    Contact,
    MachineAction,
    OptOutChannel,
    Organization,
    WebhookEvent,
)
from reachimpact.services import job_queue
from reachimpact.services.dialer import finish_attempt
from reachimpact.services.do_not_contact import opt_out_contact
from reachimpact.services.telephony import TelephonyProvider, twiml
from reachimpact.services.telephony.urls import GATHER_PATH, callback_url

MACHINE_TASK = "telephony.machine_answered"
MACHINE_QUEUE = "telephony"

_RANK = {
    CallStatus.QUEUED: 0,
    CallStatus.INITIATED: 1,
    CallStatus.RINGING: 2,
    CallStatus.IN_PROGRESS: 3,
    **{status: 4 for status in FINAL_CALL_STATUSES},
}


def rank(status: str) -> int:
    return _RANK[CallStatus(status)]


def _now() -> datetime:
    return datetime.now(UTC)


def _find_call(session: Session, call_id: uuid.UUID | None, sid: str) -> Call | None:
    """The call a delivery is about, locked: by our id from the callback URL, else by its SID."""
    if call_id is not None:
        call = session.get(Call, call_id, with_for_update=True)
        if call is not None and call.twilio_sid not in (None, sid):
            return None  # a SID that is not this call's: not ours to change
        return call
    if not sid:
        return None
    return session.exec(select(Call).where(Call.twilio_sid == sid).with_for_update()).first()


def _key(sid: str, call_id: uuid.UUID | None, *event: str) -> str:
    """The idempotency key of a delivery: the CallSid (or, lacking one, our call id) and the event."""
    return ":".join([sid or f"call-{call_id}", *event])[:200]


def _first_delivery(session: Session, key: str, kind: str, call: Call | None, fields: dict[str, str]) -> bool:
    """Record the delivery; False when it was recorded before (a retry) and must change nothing."""
    inserted = session.execute(
        insert(WebhookEvent)
        .values(
            id=uuid.uuid4(),
            provider="twilio",
            event_key=key[:200],
            organization_id=call.organization_id if call else None,
            call_id=call.id if call else None,
            kind=kind,
            payload=fields,
        )
        .on_conflict_do_nothing(index_elements=["event_key"])
        .returning(WebhookEvent.id)
    ).first()
    return inserted is not None


def _moment(fields: dict[str, str], fallback: datetime) -> datetime:
    stamp = fields.get("Timestamp")
    if stamp:
        try:
            return parsedate_to_datetime(stamp)
        except (TypeError, ValueError):
            pass
    return fallback


def _advance(call: Call, status: str, at: datetime) -> bool:
    """Move the call's status forward to `status` (never back); fill in the moments it implies."""
    if status in (CallStatus.INITIATED, CallStatus.RINGING) and call.started_at is None:
        call.started_at = at
    if status == CallStatus.IN_PROGRESS and call.answered_at is None:
        call.answered_at = at
    if rank(status) <= rank(call.status):
        return False
    call.status = status
    call.updated_at = _now()
    if status in FINAL_CALL_STATUSES:
        call.ended_at = at
    return True


# One round trip for the most frequent delivery (Twilio sends four or more per call): lock the call,
# record the delivery unless its key is taken, and move the status forward only — all in one
# statement. Only a call reaching its final status goes on to settle its contact (finish_attempt).
_OLD_RANK = (
    "CASE target.old_status WHEN 'queued' THEN 0 WHEN 'initiated' THEN 1 WHEN 'ringing' THEN 2 "
    "WHEN 'in-progress' THEN 3 ELSE 4 END"
)
# Driver-level placeholders: executed with exec_driver_sql, which skips SQLAlchemy's statement
# processing on this hot path.
_APPLY_STATUS = f"""
    WITH target AS (
        SELECT id, organization_id, status AS old_status FROM calls
        WHERE (CAST(%(call_id)s AS uuid) IS NOT NULL AND id = %(call_id)s
               AND (twilio_sid IS NULL OR twilio_sid = %(sid)s))
           OR (CAST(%(call_id)s AS uuid) IS NULL AND twilio_sid = %(sid)s)
        FOR UPDATE
    ), delivery AS (
        INSERT INTO webhook_events (id, provider, event_key, organization_id, call_id, kind, payload)
        SELECT gen_random_uuid(), 'twilio', %(key)s, target.organization_id, target.id, 'status',
               CAST(%(payload)s AS jsonb)
        FROM (SELECT 1) AS one LEFT JOIN target ON true
        ON CONFLICT (event_key) DO NOTHING
        RETURNING call_id
    ), moved AS (
        UPDATE calls c SET
            twilio_sid = coalesce(c.twilio_sid, NULLIF(%(sid)s, '')),
            answered_by = coalesce(%(answered_by)s, c.answered_by),
            started_at = CASE WHEN %(status)s IN ('initiated', 'ringing')
                              THEN coalesce(c.started_at, %(at)s) ELSE c.started_at END,
            answered_at = CASE WHEN %(status)s = 'in-progress' THEN coalesce(c.answered_at, %(at)s)
                               ELSE c.answered_at END,
            status = CASE WHEN %(rank)s > {_OLD_RANK} THEN %(status)s
                          ELSE c.status END,
            ended_at = CASE WHEN %(rank)s = 4 AND %(rank)s > {_OLD_RANK} THEN %(at)s ELSE c.ended_at END,
            duration_seconds = CASE WHEN %(rank)s = 4 THEN coalesce(%(duration)s, c.duration_seconds)
                                    ELSE c.duration_seconds END,
            error_code = CASE WHEN %(rank)s = 4 THEN coalesce(%(error_code)s, c.error_code)
                              ELSE c.error_code END,
            updated_at = %(now)s
        FROM delivery, target
        WHERE c.id = delivery.call_id AND c.id = target.id
        RETURNING c.id, %(rank)s > {_OLD_RANK} AS advanced
    )
    SELECT id, advanced FROM moved
    """


def handle_status(
    session: Session, *, call_id: uuid.UUID | None, fields: dict[str, str], now: datetime | None = None
) -> None:
    """A status callback (initiated, ringing, answered, completed / busy / no-answer / failed)."""
    now = now or _now()
    sid, status = fields.get("CallSid", ""), fields.get("CallStatus", "")
    if status not in _RANK:
        raise Invalid(f"Unknown CallStatus {status!r}.")
    if call_id is None and not sid:
        raise Invalid("The delivery names no call.")
    duration = fields.get("CallDuration", "")
    moved = (
        session.connection()
        .exec_driver_sql(
            _APPLY_STATUS,
            {
                "call_id": call_id,
                "sid": sid,
                "key": _key(sid, call_id, "status", status),
                "payload": json.dumps(fields),
                "status": status,
                "rank": rank(status),
                "answered_by": fields.get("AnsweredBy", "")[:32] or None,
                "at": _moment(fields, now),
                "duration": int(duration) if duration.isdigit() else None,
                "error_code": fields.get("ErrorCode", "")[:16] or None,
                "now": _now(),
            },
        )
        .first()
    )
    if moved is not None and moved.advanced and status in FINAL_CALL_STATUSES:
        call = session.get(Call, moved.id, populate_existing=True)  # changed by the statement above
        assert call is not None
        finish_attempt(session, call, now=now)


def _script_fields(session: Session, call: Call) -> dict[str, str]:
    contact = session.get(Contact, call.contact_id) if call.contact_id else None
    organization = session.get(Organization, call.organization_id)
    return {
        "first_name": contact.first_name if contact else "",
        "last_name": contact.last_name if contact else "",
        "full_name": contact.full_name if contact else "",
        "organization": organization.name if organization else "",
        "org": organization.name if organization else "",
        "agent": "a volunteer",
    }


def handle_voice(session: Session, *, call_id: uuid.UUID | None, fields: dict[str, str]) -> str:
    """Twilio asks what to play now that the call is answered: the campaign's TwiML."""
    sid = fields.get("CallSid", "")
    call = _find_call(session, call_id, sid)
    campaign = session.get(Campaign, call.campaign_id) if call and call.campaign_id else None
    if call is None or campaign is None:
        return twiml.hang_up()
    if _first_delivery(session, _key(sid, call_id, "voice"), "voice", call, fields):
        if call.twilio_sid is None and sid:
            call.twilio_sid = sid
        _advance(call, CallStatus.IN_PROGRESS, _now())
    return twiml.voice(
        script=twiml.speech_text(campaign.script, _script_fields(session, call)),
        consent=campaign.consent_message if campaign.record_calls else None,
        gather_url=callback_url(GATHER_PATH, call.id),
    )


def handle_gather(session: Session, *, call_id: uuid.UUID | None, fields: dict[str, str]) -> str:
    """The key the callee pressed: 1 talk to us (or ask for a call back), 9 stop these calls."""
    sid, digits = fields.get("CallSid", ""), fields.get("Digits", "")[:8]
    call = _find_call(session, call_id, sid)
    campaign = session.get(Campaign, call.campaign_id) if call and call.campaign_id else None
    transfer = campaign.transfer_number if campaign else None
    if call is not None and _first_delivery(
        session, _key(sid, call_id, "gather", digits), "gather", call, fields
    ):
        if digits == "9" and call.contact_id is not None:
            opt_out_contact(
                session,
                organization_id=call.organization_id,
                contact_id=call.contact_id,
                channel=OptOutChannel.CALL,
                source="ivr",
                reason="Pressed 9 during a campaign call",
            )
            call.outcome = "opt_out"
        elif digits == "1":
            call.outcome = "talk" if transfer else "callback"
        call.updated_at = _now()
    return twiml.after_key(digits, transfer_number=transfer, caller_id=call.from_number if call else None)


def handle_recording(session: Session, *, call_id: uuid.UUID | None, fields: dict[str, str]) -> None:
    """The call's recording is ready (and, from the simulator or a transcribe callback, its text)."""
    sid = fields.get("CallSid", "")
    key = _key(
        sid, call_id, "recording", fields.get("RecordingSid", ""), fields.get("RecordingStatus", "completed")
    )
    call = _find_call(session, call_id, sid)
    if not _first_delivery(session, key, "recording", call, fields) or call is None:
        return
    if fields.get("RecordingStatus", "completed") == "completed" and fields.get("RecordingUrl"):
        call.recording_url = fields["RecordingUrl"]
    if fields.get("TranscriptionText"):
        call.transcript = fields["TranscriptionText"]
    call.updated_at = _now()


def handle_amd(session: Session, *, call_id: uuid.UUID | None, fields: dict[str, str]) -> None:
    """Answering-machine detection's verdict. On a machine the campaign hangs up or leaves its
    message — through the provider's API, so that is a job, not something to wait for here."""
    sid, answered_by = fields.get("CallSid", ""), fields.get("AnsweredBy", "unknown")[:32]
    call = _find_call(session, call_id, sid)
    if not _first_delivery(session, _key(sid, call_id, "amd"), "amd", call, fields) or call is None:
        return
    call.answered_by = answered_by
    call.updated_at = _now()
    campaign = session.get(Campaign, call.campaign_id) if call.campaign_id else None
    if campaign is not None and campaign.amd_enabled and answered_by.startswith(("machine", "fax")):
        job_queue.defer(session, task_name=MACHINE_TASK, queue=MACHINE_QUEUE, args={"call_id": str(call.id)})


def act_on_machine(session: Session, call_id: uuid.UUID, *, provider: TelephonyProvider) -> dict[str, Any]:
    """Hang up on a machine, or leave the campaign's script as a message (the job behind handle_amd)."""
    call = session.get(Call, call_id)
    campaign = session.get(Campaign, call.campaign_id) if call and call.campaign_id else None
    if call is None or campaign is None or call.twilio_sid is None or call.status in FINAL_CALL_STATUSES:
        return {"skipped": True}
    if campaign.machine_action == MachineAction.LEAVE_MESSAGE:
        message = twiml.speech_text(campaign.script, _script_fields(session, call))
        provider.play_and_hang_up(call.twilio_sid, twiml.message_then_hang_up(message))
        call.outcome = "voicemail"
    else:
        provider.hang_up(call.twilio_sid)
        call.outcome = "machine_hangup"
    call.updated_at = _now()
    return {"outcome": call.outcome}
