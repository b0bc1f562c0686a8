"""The call simulator: the provider used when Twilio is not configured.

It places no real call. For each dial it picks a realistic outcome (answered, voicemail, busy, no
answer, failed, a dead number) and plays Twilio's part: signed form POSTs to our own webhook URLs in
Twilio's order and with Twilio's field names (status callbacks, the voice URL whose TwiML it reads
to press a key, the AMD verdict, the recording). So exactly the code path Twilio drives runs, and the
live dashboard moves without an account.

A simulated call is a chain of queue jobs, one per event, each delivering its event and queueing the
rest: like Twilio, it lives outside the dialer and survives the dialer's worker being killed.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import lru_cache
from typing import Any, Literal

import httpx
import sqlalchemy as sa
from sqlmodel import Session

from reachimpact.db import session_scope
from reachimpact.jobs.queue import defer
from reachimpact.models import FINAL_CALL_STATUSES
from reachimpact.services.telephony import signatures
from reachimpact.services.telephony.provider import CallReport, OutboundCall, TelephonyError
from reachimpact.settings import get_settings

STEP_TASK = "telephony.simulate_call"
QUEUE = "telephony"
ACCOUNT_SID = "AC" + "0" * 32  # what the simulator calls its account in the fields it sends

Outcome = Literal["answered", "machine", "busy", "no-answer", "failed", "invalid"]

_OUTCOME_WEIGHTS: dict[Outcome, int] = {
    "answered": 55,
    "machine": 12,
    "no-answer": 18,
    "busy": 7,
    "failed": 6,
    "invalid": 2,
}
_TRANSCRIPTS = (
    "Hi, yes, I got your message. Thanks for calling, I'll be there.",
    "Oh hello. I'm a bit busy right now, but thank you, I'll think about it.",
    "Yes, count me in. Can someone send me the details by text?",
    "Thanks for the reminder. I already voted early, actually.",
    "Sorry, who is this? Okay. No thank you.",
    "That sounds great, I'd love to help out. Call me back this evening.",
)


@dataclass(frozen=True)
class Plan:
    """How one simulated call goes (seconds are simulated seconds, before the time scale)."""

    outcome: Outcome
    ring_seconds: float = 6.0
    talk_seconds: int = 45
    digits: str | None = None  # the key a person presses during the script
    transcript: str | None = None


def random_plan(rng: random.Random) -> Plan:
    outcome = rng.choices(list(_OUTCOME_WEIGHTS), list(_OUTCOME_WEIGHTS.values()))[0]
    if outcome == "answered":
        digits = rng.choices(["1", "9", None], [12, 5, 83])[0]
        return Plan(
            outcome,
            ring_seconds=rng.uniform(3, 15),
            talk_seconds=rng.randint(20, 150),
            digits=digits,
            transcript=rng.choice(_TRANSCRIPTS),
        )
    if outcome == "machine":
        return Plan(outcome, ring_seconds=rng.uniform(10, 20), talk_seconds=rng.randint(15, 35))
    return Plan(outcome, ring_seconds=rng.uniform(2, 10))


class SimulatorProvider:
    name = "simulator"

    def __init__(
        self, *, plan_for: Callable[[OutboundCall], Plan] | None = None, time_scale: float | None = None
    ) -> None:
        self.plan_for = plan_for
        self.time_scale = get_settings().simulator_time_scale if time_scale is None else time_scale

    def place_call(self, call: OutboundCall) -> str:
        plan = self.plan_for(call) if self.plan_for else random_plan(random.Random(call.call_id.int))
        if plan.outcome == "invalid":
            # What Twilio answers at once for a number that cannot exist.
            raise TelephonyError(
                "Twilio refused the request: The 'To' number is not a valid phone number.", "21211"
            )
        sid = "CA" + uuid.uuid4().hex
        state = {
            "call_id": str(call.call_id),
            "sid": sid,
            "to": call.to,
            "from": call.from_,
            "voice_url": call.voice_url,
            "status_callback": call.status_callback,
            "recording_callback": call.recording_callback if call.record else None,
            "amd_callback": call.amd_callback if call.machine_detection else None,
            "machine_detection": call.machine_detection,
            "plan": asdict(plan),
            "clock": 0.0,
            "answered_clock": None,
            "sequence": 0,
        }
        with session_scope() as session:
            _queue_next(session, state, _steps(plan, state), self.time_scale)
        return sid

    def find_call(self, call: OutboundCall, *, recorded_at: datetime) -> str | None:
        # The simulator's own record of the calls it made is its queue of call events.
        with session_scope() as session:
            return session.execute(
                sa.text(
                    "SELECT args->'state'->>'sid' FROM procrastinate_jobs "
                    "WHERE task_name = :task AND args->'state'->>'call_id' = :call_id LIMIT 1"
                ),
                {"task": STEP_TASK, "call_id": str(call.call_id)},
            ).scalar()

    def call_report(self, sid: str) -> CallReport | None:
        """Read off the call's chain of events: under way while one waits to be delivered (or retried);
        once the chain has ended (delivered, or its delivery given up), the final status it carried."""
        with session_scope() as session:
            jobs = session.execute(
                sa.text(
                    "SELECT status, args FROM procrastinate_jobs "
                    "WHERE task_name = :task AND args->'state'->>'sid' = :sid ORDER BY id DESC"
                ),
                {"task": STEP_TASK, "sid": sid},
            ).all()
        if not jobs:
            return None  # never made here, or its events were cleaned up long ago
        latest = jobs[0]
        state = latest.args["state"]
        if latest.status in ("todo", "doing"):
            return CallReport("in-progress" if state["answered_clock"] is not None else "ringing")
        clock = state["clock"]
        for step in latest.args["steps"]:
            clock += step["after"]
            status = step["fields"].get("CallStatus") if step["kind"] == "status" else None
            if status in FINAL_CALL_STATUSES:
                answered = state["answered_clock"]
                return CallReport(status, round(clock - answered) if answered is not None else 0)
        return CallReport("completed", None)  # only a recording came after the end

    def hang_up(self, sid: str) -> None:
        self._end_early(sid, after_seconds=1.0)

    def play_and_hang_up(self, sid: str, twiml: str) -> None:
        words = len(re.sub(r"<[^>]+>", " ", twiml).split())
        self._end_early(sid, after_seconds=2.0 + words / 2.5)

    def _end_early(self, sid: str, *, after_seconds: float) -> None:
        """Replace what remains of a call with its end, as Twilio does when told to hang up."""
        with session_scope() as session:
            row = session.execute(
                sa.text(
                    "SELECT id, args FROM procrastinate_jobs WHERE task_name = :task AND status = 'todo' "
                    "AND args->'state'->>'sid' = :sid FOR UPDATE SKIP LOCKED"
                ),
                {"task": STEP_TASK, "sid": sid},
            ).first()
            if row is None:
                return  # already over (or its next event is being delivered right now)
            args = dict(row.args)
            state = args["state"]
            steps = _ending(state, after_seconds)
            session.execute(
                sa.text(
                    "UPDATE procrastinate_jobs SET args = CAST(:args AS jsonb), scheduled_at = :at "
                    "WHERE id = :id"
                ),
                {
                    "args": json.dumps({**args, "steps": steps}),
                    "at": _due(steps[0]["after"], args["scale"]),
                    "id": row.id,
                },
            )


# --- the events of a call -------------------------------------------------------------------------


def _status(status: str, after: float, **fields: Any) -> dict[str, Any]:
    return {"after": after, "kind": "status", "fields": {"CallStatus": status, **fields}}


def _steps(plan: Plan, state: dict[str, Any]) -> list[dict[str, Any]]:
    """The events of a call in order, each `after` seconds after the one before."""
    steps = [_status("initiated", 0.0)]
    if plan.outcome == "busy":
        return [*steps, _status("ringing", 0.3), _status("busy", plan.ring_seconds, CallDuration="0")]
    if plan.outcome == "failed":
        return [*steps, _status("failed", 0.5, CallDuration="0")]
    steps.append(_status("ringing", 0.3))
    if plan.outcome == "no-answer":
        return [*steps, _status("no-answer", 25.0, CallDuration="0")]
    steps += [
        _status("in-progress", plan.ring_seconds),
        # Twilio requests the voice URL as soon as the call is answered (AMD runs asynchronously).
        {"after": 0.05, "kind": "voice", "fields": {"CallStatus": "in-progress"}},
    ]
    if state["amd_callback"]:
        if plan.outcome == "machine":
            verdict = (
                "machine_end_beep" if state["machine_detection"] == "DetectMessageEnd" else "machine_start"
            )
        else:
            verdict = "human"
        steps.append({"after": 2.5, "kind": "amd", "fields": {"AnsweredBy": verdict}})
    return steps + _ending(state, max(plan.talk_seconds - _sum_after(steps[3:]), 1.0))


def _sum_after(steps: list[dict[str, Any]]) -> float:
    return sum(step["after"] for step in steps)


def _ending(state: dict[str, Any], after_seconds: float) -> list[dict[str, Any]]:
    """The call's last events: completed (duration filled in when sent), then its recording."""
    steps = [_status("completed", after_seconds)]
    if state["recording_callback"] and state["plan"]["outcome"] in ("answered", "machine"):
        steps.append({"after": 1.0, "kind": "recording", "fields": {}})
    return steps


def _insert(steps: list[dict[str, Any]], step: dict[str, Any], delay: float) -> None:
    """Put `step` `delay` seconds from now into a list of relative delays."""
    elapsed = 0.0
    for index, later in enumerate(steps):
        if elapsed + later["after"] > delay:
            step["after"] = delay - elapsed
            later["after"] -= step["after"]
            steps.insert(index, step)
            return
        elapsed += later["after"]
    step["after"] = max(delay - elapsed, 0.0)
    steps.append(step)


# --- delivering an event (runs in the job worker) -------------------------------------------------


def _due(after_seconds: float, scale: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=after_seconds * scale)


def _queue_next(session: Session, state: dict[str, Any], steps: list[dict[str, Any]], scale: float) -> None:
    if not steps:
        return
    defer(
        session,
        task_name=STEP_TASK,
        queue=QUEUE,
        args={"state": state, "steps": steps, "scale": scale},
        schedule_at=_due(steps[0]["after"], scale) if steps[0]["after"] > 0 and scale > 0 else None,
    )


@lru_cache
def _http() -> httpx.Client:
    return httpx.Client(timeout=10.0, headers={"User-Agent": "TwilioProxy/1.1 (ReachImpact simulator)"})


def _delivery_url(public: str) -> str:
    settings = get_settings()
    base = settings.public_base_url.rstrip("/")
    if settings.simulator_delivery_url and public.startswith(base):
        return settings.simulator_delivery_url.rstrip("/") + public[len(base) :]
    return public


def _post(url: str, fields: dict[str, str]) -> httpx.Response:
    pairs = list(fields.items())
    signature = signatures.sign(url, pairs)
    response = _http().post(_delivery_url(url), data=fields, headers={signatures.SIGNATURE_HEADER: signature})
    response.raise_for_status()
    return response


def _fields(state: dict[str, Any], step: dict[str, Any]) -> dict[str, str]:
    fields = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": state["sid"],
        "Direction": "outbound-api",
        "From": state["from"],
        "To": state["to"],
        "CallStatus": "in-progress",
        **step["fields"],
    }
    if step["kind"] == "status":
        fields.update(
            CallbackSource="call-progress-events",
            SequenceNumber=str(state["sequence"]),
            Timestamp=format_datetime(datetime.now(UTC), usegmt=True),
        )
        if fields["CallStatus"] == "completed":
            answered = state["answered_clock"]
            fields["CallDuration"] = str(round(state["clock"] - answered) if answered is not None else 0)
    if step["kind"] == "recording":
        plan = state["plan"]
        recording_sid = "RE" + uuid.uuid5(uuid.NAMESPACE_URL, state["sid"]).hex
        fields.update(
            RecordingSid=recording_sid,
            RecordingUrl=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording_sid}",
            RecordingStatus="completed",
            RecordingDuration=str(plan["talk_seconds"]),
            RecordingChannels="1",
            RecordingSource="OutboundAPI",
        )
        if plan.get("transcript"):
            fields["TranscriptionText"] = plan["transcript"]
    return fields


_GATHER_ACTION = re.compile(r"<Gather\b[^>]*\baction=\"([^\"]+)\"")


def run_step(state: dict[str, Any], steps: list[dict[str, Any]], scale: float) -> None:
    """Deliver the next event of a simulated call, then queue the ones after it."""
    step, rest = steps[0], [dict(s) for s in steps[1:]]
    state = {**state, "clock": state["clock"] + step["after"]}
    url = {
        "status": state["status_callback"],
        "voice": state["voice_url"],
        "amd": state["amd_callback"],
        "recording": state["recording_callback"],
        "gather": step.get("url"),
    }[step["kind"]]
    if step["kind"] == "status" and step["fields"]["CallStatus"] == "in-progress":
        state["answered_clock"] = state["clock"]
    response = _post(url, _fields(state, step))
    if step["kind"] == "status":
        state["sequence"] += 1
    plan = state["plan"]
    if step["kind"] == "voice":
        action = _GATHER_ACTION.search(response.text)
        if action is None:
            rest = _ending(state, 1.0)  # no menu: the TwiML hung up
        elif plan["outcome"] == "answered" and plan.get("digits"):
            key_at = min(plan["talk_seconds"] * 0.6, 15.0)
            gather = {
                "kind": "gather",
                "url": action.group(1).replace("&amp;", "&"),
                "fields": {"Digits": plan["digits"]},
            }
            _insert(rest, gather, key_at)
    if step["kind"] == "gather" and "<Dial" not in response.text:
        rest = _ending(state, 4.0)  # the answer to the key ended the call
    with session_scope() as session:
        _queue_next(session, state, rest, scale)
