"""What Twilio (or the simulator) tells us about a call, applied once and in order.

Every delivery is first recorded in webhook_events under a key made of the CallSid and the event;
a retried delivery finds its key taken and changes nothing. A call's status only moves forward
(queued → initiated → ringing → in-progress → a final status): a late "ringing" after "completed"
is kept in the timeline and otherwise ignored. The signature is checked before any of this, by the
router (services.telephony.signatures).

Status callbacks, the busiest route, run on the async pool (handle_status_async: plain SQL, no thread);
handle_status is the same on a caller's session. The rarer callbacks use the session.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, select

from reachimpact.db import async_connection
from reachimpact.errors import Invalid
from reachimpact.jobs.queue import defer
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
from reachimpact.models.campaign import default_retry_policy
from reachimpact.services.do_not_contact import listing_from, opt_out_contact
from reachimpact.services.telephony import DEAD_NUMBER_CODES, TelephonyProvider, twiml
from reachimpact.services.telephony.urls import GATHER_PATH, callback_url

MACHINE_TASK = "telephony.machine_answered"
MACHINE_QUEUE = "telephony"

# How far a call has come; a status delivery only moves it further. The final statuses share the top rank:
# the first of them to arrive says how the call ended.
_FINAL_RANK = 4
_RANK = {
    CallStatus.QUEUED: 0,
    CallStatus.INITIATED: 1,
    CallStatus.RINGING: 2,
    CallStatus.IN_PROGRESS: 3,
    **{status: _FINAL_RANK for status in FINAL_CALL_STATUSES},
}
# The statuses that date the call's start (the first of them) and its answer.
_STARTING = (CallStatus.INITIATED, CallStatus.RINGING)
_ANSWERING = CallStatus.IN_PROGRESS
# What answering-machine detection's AnsweredBy begins with when no person answered (machine_start,
# machine_end_beep, fax, ...).
_MACHINE_PREFIXES = ("machine", "fax")


def rank(status: str) -> int:
    return _RANK[CallStatus(status)]


def answered_by_machine(answered_by: str) -> bool:
    return answered_by.startswith(_MACHINE_PREFIXES)


# The same rules in SQL, for the one statement below: written from the Python above, never by hand.
def _sql_rank(status_column: str) -> str:
    """rank() of a status column: a CASE over the ranks below the final one, which is the ELSE."""
    whens = " ".join(f"WHEN '{status.value}' THEN {n}" for status, n in _RANK.items() if n < _FINAL_RANK)
    return f"CASE {status_column} {whens} ELSE {_FINAL_RANK} END"


def _sql_answered_by_machine(column: str) -> str:
    return f"{column} ~ '^({'|'.join(_MACHINE_PREFIXES)})'"


_SQL_STARTING = "(" + ", ".join(f"'{status.value}'" for status in _STARTING) + ")"


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


# --- reading a delivery's fields: Twilio's, but checked (a signed request is not a sane one) ------------

# Twilio's SIDs are two letters and 32 hex digits; anything longer would not fit `calls.twilio_sid`.
_SID = re.compile(r"[A-Za-z0-9]{1,64}")
# A call lasts at most 24 hours on Twilio; a longer duration is a made-up number, not stored.
MAX_CALL_SECONDS = 24 * 3600
# How far a delivery's own Timestamp may be from its arrival before the arrival is believed instead.
TIMESTAMP_TOLERANCE = timedelta(hours=24)


def _sid(fields: dict[str, str]) -> str:
    """The delivery's CallSid ("" when it has none); Invalid when it cannot be a Twilio SID."""
    sid = fields.get("CallSid", "")
    if sid and not _SID.fullmatch(sid):
        raise Invalid("CallSid is not a Twilio call SID.")
    return sid


def _duration(fields: dict[str, str]) -> int | None:
    """CallDuration in seconds, when it is a plausible one (ASCII digits: "²".isdigit() is true)."""
    text = fields.get("CallDuration", "")
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        return None
    seconds = int(text)
    return seconds if seconds <= MAX_CALL_SECONDS else None


def _moment(fields: dict[str, str], received: datetime) -> datetime:
    """When the event happened: its Timestamp when that is near its arrival, else the arrival."""
    stamp = fields.get("Timestamp")
    if not stamp:
        return received
    try:
        moment = parsedate_to_datetime(stamp)
    except (TypeError, ValueError, OverflowError):
        return received
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # RFC 2822's "-0000": UTC, origin unknown
    return moment if abs(moment - received) <= TIMESTAMP_TOLERANCE else received


def _advance(call: Call, status: str, at: datetime) -> bool:
    """Move the call's status forward to `status` (never back); fill in the moments it implies."""
    if status in _STARTING and call.started_at is None:
        call.started_at = at
    if status == _ANSWERING and call.answered_at is None:
        call.answered_at = at
    if rank(status) <= rank(call.status):
        return False
    call.status = status
    call.updated_at = _now()
    if status in FINAL_CALL_STATUSES:
        call.ended_at = at
    return True


# One statement, so one round trip and one transaction, for every status delivery (Twilio sends four
# or more per call): lock the call, record the delivery unless its key is taken, move the status
# forward only and, when that move reaches a final status, settle the campaign contact.
_OLD_RANK = _sql_rank("target.old_status")
# Settling, for Twilio's callbacks and the dialer's refusals alike (dialer._dial sends those here as a
# "failed" status): only the latest attempt of a contact still dialling, whose row is locked after the
# call's; a dead number fails the contact and goes on the do-not-contact list; an opt-out or a
# completed call ends it; otherwise the campaign's retry policy (over the defaults; a status without a
# rule follows "failed") retries it later or gives up.
_ENDED = "('completed', 'machine', 'opted_out')"
_RETRY = (
    f"s.outcome NOT IN {_ENDED} AND s.outcome <> 'bad_number' "
    "AND e.attempts < CAST(s.rule ->> 'max_attempts' AS int)"
)
# psycopg placeholders: run by psycopg itself on the async path, and through exec_driver_sql (which
# skips SQLAlchemy's statement processing) on the sync one.
_MOVE_STATUS = f"""
    target AS (
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
            started_at = CASE WHEN %(status)s IN {_SQL_STARTING}
                              THEN coalesce(c.started_at, %(at)s) ELSE c.started_at END,
            answered_at = CASE WHEN %(status)s = '{_ANSWERING.value}' THEN coalesce(c.answered_at, %(at)s)
                               ELSE c.answered_at END,
            status = CASE WHEN %(rank)s > {_OLD_RANK} THEN %(status)s
                          ELSE c.status END,
            -- Only the final status that ends the call writes how it ended: a second, late one
            -- (busy, then completed) changes nothing.
            ended_at = CASE WHEN %(rank)s = {_FINAL_RANK} AND %(rank)s > {_OLD_RANK} THEN %(at)s
                            ELSE c.ended_at END,
            duration_seconds = CASE WHEN %(rank)s = {_FINAL_RANK} AND %(rank)s > {_OLD_RANK}
                                    THEN coalesce(%(duration)s, c.duration_seconds)
                                    ELSE c.duration_seconds END,
            error_code = CASE WHEN %(rank)s = {_FINAL_RANK} AND %(rank)s > {_OLD_RANK}
                              THEN coalesce(%(error_code)s, c.error_code) ELSE c.error_code END,
            updated_at = %(now)s
        FROM delivery, target
        WHERE c.id = delivery.call_id AND c.id = target.id
        RETURNING c.id, c.organization_id, c.campaign_contact_id, c.contact_id, c.created_at, c.to_number,
                  c.status, c.error_code, c.outcome, c.answered_by, %(rank)s > {_OLD_RANK} AS advanced
    )"""
# A live call's status skips the settling: the database takes longer to plan it than to run the rest.
_APPLY_STATUS = f"WITH {_MOVE_STATUS} SELECT id, advanced FROM moved"
# A dead number goes on the do-not-contact list by the list's own statement, compiled into this one.
_settled = sa.table(
    "settled",
    sa.column("organization_id", sa.Uuid),
    sa.column("to_number", sa.String),
    sa.column("error_code", sa.String),
    sa.column("outcome", sa.String),
)
_LIST_BAD_NUMBERS = listing_from(
    sa.select(
        _settled.c.organization_id,
        _settled.c.to_number,
        "Twilio error " + _settled.c.error_code + ": the number is invalid or unreachable",
    ).where(_settled.c.outcome == "bad_number"),
    channel=OptOutChannel.CALL,
    source="bad_number",
).compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
_APPLY_FINAL_STATUS = f"""
    WITH {_MOVE_STATUS}, settling AS (
        SELECT e.id, m.organization_id, m.to_number, m.error_code,
               CASE WHEN m.error_code = ANY(%(dead_codes)s) THEN 'bad_number'
                    WHEN m.outcome = 'opt_out' THEN 'opted_out'
                    WHEN m.status = 'completed' AND {_sql_answered_by_machine("m.answered_by")} THEN 'machine'
                    ELSE m.status END AS outcome,
               coalesce(k.retry_policy -> m.status, CAST(%(default_policy)s AS jsonb) -> m.status,
                        k.retry_policy -> 'failed', CAST(%(default_policy)s AS jsonb) -> 'failed') AS rule
        FROM moved m
        JOIN campaign_contacts e ON e.id = m.campaign_contact_id
        LEFT JOIN campaigns k ON k.id = e.campaign_id
        WHERE m.advanced
          -- An older attempt's late news settles nothing. (Through the contact's index:
          -- calls.campaign_contact_id has none.)
          AND NOT EXISTS (SELECT 1 FROM calls later
                          WHERE later.contact_id = m.contact_id AND later.campaign_contact_id = e.id
                            AND (later.created_at, later.id) > (m.created_at, m.id))
    ), settled AS (
        UPDATE campaign_contacts e SET
            status = CASE WHEN {_RETRY} THEN 'pending' WHEN s.outcome IN {_ENDED} THEN 'done'
                          ELSE 'failed' END,
            last_outcome = s.outcome,
            next_attempt_at = CASE WHEN {_RETRY} THEN %(clock)s
                                   + make_interval(mins => CAST(s.rule ->> 'delay_minutes' AS int)) END,
            updated_at = %(clock)s
        FROM settling s
        WHERE e.id = s.id AND e.status = 'dialing'  -- rechecked once the row is locked
        RETURNING s.organization_id, s.to_number, s.error_code, s.outcome
    ), bad_number AS ({_LIST_BAD_NUMBERS})
    SELECT id, advanced FROM moved
    """
_DEFAULT_POLICY = json.dumps(default_retry_policy())
_DEAD_CODES = sorted(DEAD_NUMBER_CODES)


def _status_parameters(call_id: uuid.UUID | None, fields: dict[str, str], now: datetime) -> dict[str, Any]:
    """The parameters of _APPLY_STATUS for a delivery; Invalid when it names no known status or call."""
    sid, status = _sid(fields), fields.get("CallStatus", "")
    if status not in _RANK:
        raise Invalid(f"Unknown CallStatus {status!r}.")
    if call_id is None and not sid:
        raise Invalid("The delivery names no call.")
    return {
        "call_id": call_id,
        "sid": sid,
        "key": _key(sid, call_id, "status", status),
        "payload": json.dumps(fields),
        "status": status,
        "rank": rank(status),
        "answered_by": fields.get("AnsweredBy", "")[:32] or None,
        "at": _moment(fields, now),
        "duration": _duration(fields),
        "error_code": fields.get("ErrorCode", "")[:16] or None,
        "now": _now(),
        "clock": now,  # the contact's retry is due counting from here (a controlled clock in tests)
        "dead_codes": _DEAD_CODES,
        "default_policy": _DEFAULT_POLICY,
    }


def _statement(parameters: dict[str, Any]) -> str:
    return _APPLY_FINAL_STATUS if parameters["status"] in FINAL_CALL_STATUSES else _APPLY_STATUS


def handle_status(
    session: Session, *, call_id: uuid.UUID | None, fields: dict[str, str], now: datetime | None = None
) -> None:
    """A status callback (initiated, ringing, answered, completed / busy / no-answer / failed)."""
    parameters = _status_parameters(call_id, fields, now or _now())
    session.connection().exec_driver_sql(_statement(parameters), parameters)


async def handle_status_async(
    *, call_id: uuid.UUID | None, fields: dict[str, str], now: datetime | None = None
) -> None:
    """handle_status on the async pool, committed on its own: one round trip, no thread, no ORM."""
    parameters = _status_parameters(call_id, fields, now or _now())
    async with async_connection() as conn:
        await conn.execute(_statement(parameters), parameters)


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
    sid = _sid(fields)
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
    sid, digits = _sid(fields), fields.get("Digits", "")[:8]
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
    sid = _sid(fields)
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
    sid, answered_by = _sid(fields), fields.get("AnsweredBy", "unknown")[:32]
    call = _find_call(session, call_id, sid)
    if not _first_delivery(session, _key(sid, call_id, "amd"), "amd", call, fields) or call is None:
        return
    call.answered_by = answered_by
    call.updated_at = _now()
    campaign = session.get(Campaign, call.campaign_id) if call.campaign_id else None
    if campaign is not None and campaign.amd_enabled and answered_by_machine(answered_by):
        defer(session, task_name=MACHINE_TASK, queue=MACHINE_QUEUE, args={"call_id": str(call.id)})


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
