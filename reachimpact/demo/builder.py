"""The demo organization's builder: its story (reachimpact.demo.story) made into a month of believable
outreach, so a newcomer opens a living app.

Everything is drawn from one `random.Random(seed)`, so a given seed yields the same people, numbers,
SIDs and conversations (row ids and the anchor `now` aside). Timestamps are spread over the last 30 days
and respect each contact's calling window in their own time zone, as the dialer would.

The demo organization is recognised by `settings["demo"] is True`, never by its name, so a real
organization that happens to share the name is never touched.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from reachimpact.demo import story
from reachimpact.models import (
    Call,
    CallStatus,
    Campaign,
    CampaignContact,
    CampaignContactStatus,
    CampaignStatus,
    CampaignStatusChange,
    CampaignType,
    Contact,
    Conversation,
    Direction,
    Membership,
    Message,
    MessageStatus,
    OptOut,
    OptOutChannel,
    Organization,
    PhoneNumber,
    Role,
    User,
)
from reachimpact.models.campaign import default_retry_policy
from reachimpact.services.passwords import hash_password
from reachimpact.services.phones import normalize_phone, time_zone_for

DEMO_EMAIL = "demo@reachimpact.io"
DEMO_PASSWORD = "reachimpact-demo"
DEMO_MARKER = "demo"
# Twilio's magic "From" test number: accepted by test credentials, never reaches a handset.
DEMO_FROM_NUMBER = "+15005550006"
CONTACT_COUNT = 200
DEFAULT_SEED = 42

# Serialises concurrent seeders (e.g. two `make run` at once) so the emptiness check stays true.
_SEED_LOCK_KEY = 0x5EED_DE30

_HISTORY = timedelta(days=29, hours=12)  # stays inside "the last 30 days" however long the seed takes
_CALL_WINDOW = (time(9, 0), time(20, 0))


@dataclass
class DemoSummary:
    """What the seed created, for the CLI to print."""

    organization_id: uuid.UUID
    from_number: str | None
    contacts: int = 0
    campaigns: int = 0
    campaign_contacts: int = 0
    calls: int = 0
    conversations: int = 0
    messages: int = 0
    opt_outs: int = 0
    notes: list[str] = field(default_factory=list)


def lock_for_seeding(session: Session) -> None:
    """Hold a transaction-scoped advisory lock so two seeders cannot both see an empty database."""
    session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SEED_LOCK_KEY})


def organizations_exist(session: Session) -> bool:
    return session.exec(select(Organization.id).limit(1)).first() is not None


def find_demo_organization(session: Session) -> Organization | None:
    return session.exec(
        select(Organization).where(col(Organization.settings).contains({DEMO_MARKER: True}))
    ).first()


def delete_demo(session: Session) -> bool:
    """Remove the demo organization (its rows go with it by cascade) and the demo user.

    Returns whether there was anything to remove.
    """
    # Plain SQL deletes: the database cascades to every row that carries the organization's id.
    orgs = session.execute(
        sa.delete(Organization)
        .where(col(Organization.settings).contains({DEMO_MARKER: True}))
        .returning(Organization.id),
        execution_options={"synchronize_session": False},
    ).all()
    users = session.execute(
        sa.delete(User).where(func.lower(User.email) == DEMO_EMAIL).returning(User.id),
        execution_options={"synchronize_session": False},
    ).all()
    session.expunge_all()
    return bool(orgs or users)


def create_demo(
    session: Session,
    *,
    seed: int = DEFAULT_SEED,
    from_number: str | None = None,
    now: datetime | None = None,
) -> DemoSummary:
    """Create the demo user, organization and a month of history; flushes, the caller commits.

    `from_number` is the organization's own number (TWILIO_FROM_NUMBER); Twilio's magic test number
    when None.
    """
    # Anchored to the hour: which generated moments fall inside calling windows and before "now"
    # depends on the anchor, so two seeds within the same hour give exactly the same data.
    anchor = now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    builder = _DemoBuilder(session, random.Random(seed), anchor)
    return builder.build(from_number or DEMO_FROM_NUMBER)


class _DemoBuilder:
    def __init__(self, session: Session, rng: random.Random, now: datetime) -> None:
        self.session = session
        self.rng = rng
        self.now = now
        self.start = now - _HISTORY
        self.latest = now - timedelta(minutes=5)
        self.calls: list[Call] = []
        self.opt_outs: list[OptOut] = []
        self.messages_by_contact: dict[uuid.UUID, list[Message]] = {}
        self.used_phones: set[str] = set()

    # -- the whole story -------------------------------------------------------------------------------

    def build(self, from_number: str) -> DemoSummary:
        user = self._user()
        org = Organization(
            name=story.DEMO_ORG_NAME,
            default_region="US",
            time_zone="America/New_York",
            settings={DEMO_MARKER: True},
            created_at=self.now - timedelta(days=120),
        )
        self.org_id = org.id
        self.user_id = user.id
        self.agent = story.DEMO_USER_NAME.split()[0]
        self.session.add(org)
        self.session.flush()
        self.session.add(Membership(organization_id=org.id, user_id=user.id, role=Role.OWNER))

        summary = DemoSummary(organization_id=org.id, from_number=None)
        self.number = self._phone_number(from_number, summary)

        contacts = self._contacts()
        self.session.add_all(contacts)
        self.session.flush()

        completed, running, sms = self._campaigns()
        self.session.add_all([completed, running, sms])
        self.session.flush()

        campaign_contacts = [
            *self._run_call_campaign(completed, _with_any_tag(contacts, "donor", "volunteer")),
            *self._run_call_campaign(running, _with_any_tag(contacts, "supporter", "undecided")),
            *self._run_sms_campaign(sms, _with_any_tag(contacts, "volunteer")),
        ]
        self._inbound_calls(contacts)
        self._everyday_conversations(contacts)
        self._do_not_contact_list()

        self.session.add_all(campaign_contacts)
        self.session.add_all(self._status_history(completed, running, sms))
        self.session.flush()
        self.session.add_all(self.calls)
        conversations, messages = self._conversations()
        self.session.add_all(conversations)
        self.session.flush()
        self.session.add_all(messages)
        self.session.add_all(self.opt_outs)
        self.session.flush()

        summary.contacts = len(contacts)
        summary.campaigns = 3
        summary.campaign_contacts = len(campaign_contacts)
        summary.calls = len(self.calls)
        summary.conversations = len(conversations)
        summary.messages = len(messages)
        summary.opt_outs = len(self.opt_outs)
        return summary

    def _user(self) -> User:
        # Reused when only the organization was removed, so the printed login always works.
        user = self.session.exec(select(User).where(func.lower(User.email) == DEMO_EMAIL)).first()
        if user is None:
            user = User(email=DEMO_EMAIL, created_at=self.now - timedelta(days=120))
        user.name = story.DEMO_USER_NAME
        user.password_hash = hash_password(DEMO_PASSWORD)
        user.email_verified = True
        user.disabled = False
        self.session.add(user)
        self.session.flush()
        return user

    def _phone_number(self, number: str, summary: DemoSummary) -> str:
        # The number is unique across organizations: if a real one already owns it, the demo does without.
        owner = self.session.exec(
            select(PhoneNumber.organization_id).where(PhoneNumber.number == number)
        ).first()
        if owner is not None:
            summary.notes.append(
                f"{number} already belongs to another organization; the demo has no own number."
            )
        else:
            self.session.add(
                PhoneNumber(organization_id=self.org_id, number=number, friendly_name="Demo HQ line")
            )
            summary.from_number = number
        return number

    # -- contacts --------------------------------------------------------------------------------------

    def _contacts(self) -> list[Contact]:
        rng = self.rng
        codes = list(story.AREA_CODES)
        weights = [a[4] for a in story.AREA_CODES]
        contacts = []
        for _ in range(CONTACT_COUNT):
            area, city, state, zip_prefix, _weight = rng.choices(codes, weights)[0]
            phone, time_zone = self._new_phone(area)
            first, last = rng.choice(story.FIRST_NAMES), rng.choice(story.LAST_NAMES)
            tags = [tag for tag, share in story.TAG_WEIGHTS if rng.random() < share]
            custom: dict[str, object] = {
                "city": city,
                "state": state,
                "zip": f"{zip_prefix}{rng.randint(1, 99):02d}",
                "precinct": f"{rng.randint(1, 24)}-{rng.choice('ABCD')}",
            }
            if rng.random() < 0.2:
                custom["preferred_language"] = rng.choice(("Spanish", "Spanish", "Portuguese", "Vietnamese"))
            if "donor" in tags:
                custom["last_gift_usd"] = rng.choice((10, 25, 25, 50, 50, 100, 250, 500))
            if "volunteer" in tags:
                custom["shifts_completed"] = rng.randint(0, 12)
            created = self.now - timedelta(days=rng.uniform(35, 110))
            contacts.append(
                Contact(
                    organization_id=self.org_id,
                    first_name=first,
                    last_name=last,
                    phone=phone,
                    email=self._email(first, last) if rng.random() < 0.85 else None,
                    tags=tags,
                    custom_fields=custom,
                    time_zone=time_zone,
                    notes="Met at the spring town hall." if rng.random() < 0.05 else None,
                    created_at=created,
                    updated_at=created,
                )
            )
        # Opted out of everything at import time (from the old list's do-not-contact column).
        for contact in rng.sample(contacts, 3):
            self._opt_out(
                contact,
                OptOutChannel.ALL,
                "import",
                "Marked do-not-contact in the imported list",
                contact.created_at,
            )
        return contacts

    def _new_phone(self, area_code: str) -> tuple[str, str | None]:
        while True:
            exchange = self.rng.randint(200, 999)
            if exchange == 555:  # 555 numbers read as fake (and are mostly unassigned)
                continue
            # A real area code and an exchange from 200 up make a valid number (phonenumbers' North
            # American metadata asks no more; tests/test_seed.py checks each number it gets).
            e164 = normalize_phone(f"+1{area_code}{exchange}{self.rng.randint(0, 9999):04d}")
            if e164 in self.used_phones:
                continue
            self.used_phones.add(e164)
            return e164, time_zone_for(e164)

    def _email(self, first: str, last: str) -> str:
        local = f"{first}.{last}".lower().replace("'", "")
        if self.rng.random() < 0.4:
            local += str(self.rng.randint(1, 99))
        return f"{local}@{self.rng.choice(story.EMAIL_DOMAINS)}"

    def _opt_out(
        self, contact: Contact, channel: OptOutChannel, source: str, reason: str, at: datetime
    ) -> None:
        if channel in (OptOutChannel.ALL, OptOutChannel.CALL):
            contact.opt_out_calls = True
        if channel in (OptOutChannel.ALL, OptOutChannel.SMS):
            contact.opt_out_sms = True
        contact.updated_at = max(contact.updated_at, at)
        self.opt_outs.append(
            OptOut(
                organization_id=self.org_id,
                phone=contact.phone,
                channel=channel,
                source=source,
                reason=reason,
                contact_id=contact.id,
                created_by_id=self.user_id if source == "manual" else None,
                created_at=at,
            )
        )

    def _do_not_contact_list(self) -> None:
        """Numbers the office was asked never to reach, with no contact behind them."""
        for area in ("617", "508"):
            phone, _ = self._new_phone(area)
            self.opt_outs.append(
                OptOut(
                    organization_id=self.org_id,
                    phone=phone,
                    channel=OptOutChannel.ALL,
                    source="manual",
                    reason="Called the office to ask never to be contacted",
                    created_by_id=self.user_id,
                    created_at=self._moment(self.start, self.latest),
                )
            )

    # -- campaigns -------------------------------------------------------------------------------------

    def _campaigns(self) -> tuple[Campaign, Campaign, Campaign]:
        now = self.now
        common = {"organization_id": self.org_id, "caller_id": self.number, "created_by_id": self.user_id}
        completed = Campaign(
            **common,
            name=story.THANK_YOU_CALLS.name,
            type=CampaignType.CALL,
            status=CampaignStatus.COMPLETED,
            script=story.THANK_YOU_CALLS.script,
            audience={"tags": ["donor", "volunteer"]},
            amd_enabled=True,
            created_at=now - timedelta(days=29, hours=20),
            starts_at=now - timedelta(days=29),
            started_at=now - timedelta(days=29),
            ends_at=now - timedelta(days=16),
            completed_at=now - timedelta(days=16),
        )
        running = Campaign(
            **common,
            name=story.GET_OUT_THE_VOTE_CALLS.name,
            type=CampaignType.CALL,
            status=CampaignStatus.RUNNING,
            script=story.GET_OUT_THE_VOTE_CALLS.script,
            audience={"tags": ["supporter", "undecided"]},
            amd_enabled=True,
            calls_per_minute=20,
            max_concurrent=8,
            created_at=now - timedelta(days=12),
            starts_at=now - timedelta(days=11),
            started_at=now - timedelta(days=11),
            ends_at=now + timedelta(days=9),
        )
        sms = Campaign(
            **common,
            name=story.CANVASS_REMINDER_TEXTS.name,
            type=CampaignType.SMS,
            status=CampaignStatus.PAUSED,
            script=story.CANVASS_REMINDER_TEXTS.script,
            audience={"tags": ["volunteer"]},
            created_at=now - timedelta(days=6),
            starts_at=now - timedelta(days=5),
            started_at=now - timedelta(days=5),
        )
        for campaign in (completed, running, sms):
            campaign.updated_at = campaign.completed_at or campaign.started_at or campaign.created_at
        sms.updated_at = now - timedelta(days=4)
        return completed, running, sms

    def _status_history(
        self, completed: Campaign, running: Campaign, sms: Campaign
    ) -> list[CampaignStatusChange]:
        def change(
            campaign: Campaign, before: CampaignStatus, after: CampaignStatus, at: datetime
        ) -> CampaignStatusChange:
            return CampaignStatusChange(
                organization_id=self.org_id,
                campaign_id=campaign.id,
                from_status=before,
                to_status=after,
                actor_id=self.user_id,
                created_at=at,
            )

        return [
            change(
                completed, CampaignStatus.DRAFT, CampaignStatus.RUNNING, completed.started_at or self.start
            ),
            change(
                completed,
                CampaignStatus.RUNNING,
                CampaignStatus.COMPLETED,
                completed.completed_at or self.start,
            ),
            change(running, CampaignStatus.DRAFT, CampaignStatus.RUNNING, running.started_at or self.start),
            change(sms, CampaignStatus.DRAFT, CampaignStatus.RUNNING, sms.started_at or self.start),
            change(sms, CampaignStatus.RUNNING, CampaignStatus.PAUSED, sms.updated_at),
        ]

    def _run_call_campaign(self, campaign: Campaign, audience: list[Contact]) -> list[CampaignContact]:
        """Dial the audience the way the dialer would: retries per policy, inside each contact's window."""
        rng = self.rng
        begin = campaign.started_at or self.start
        # Margin for the last call to finish before `end` (and so before now).
        end = min(campaign.completed_at or self.latest, self.latest) - timedelta(minutes=15)
        is_running = campaign.status == CampaignStatus.RUNNING
        policy = default_retry_policy()
        rows = []
        for contact in audience:
            row = CampaignContact(
                organization_id=self.org_id,
                campaign_id=campaign.id,
                contact_id=contact.id,
                created_at=begin,
                updated_at=begin,
            )
            rows.append(row)
            if contact.opt_out_calls:
                row.status, row.last_outcome = CampaignContactStatus.SKIPPED, "opted_out"
                continue
            if is_running and rng.random() < 0.25:
                continue  # not reached yet: still pending in the queue
            at = self._moment(begin, end - timedelta(hours=6), contact.time_zone)
            while True:
                call = self._campaign_call(campaign, contact, row, at)
                row.attempts += 1
                row.last_outcome = call.status
                row.last_attempt_at = row.updated_at = call.ended_at
                if call.status == CallStatus.COMPLETED:
                    row.status = CampaignContactStatus.DONE
                    row.next_attempt_at = None
                    break
                retry = policy[call.status]
                next_at = (call.ended_at or at) + timedelta(
                    minutes=retry["delay_minutes"], hours=rng.uniform(0, 30)
                )
                if row.attempts >= retry["max_attempts"]:
                    row.status = CampaignContactStatus.FAILED
                    break
                if next_at > end:
                    # A running campaign keeps the retry on the schedule; a finished one gave up.
                    row.status = CampaignContactStatus.PENDING if is_running else CampaignContactStatus.FAILED
                    row.next_attempt_at = next_at if is_running else None
                    break
                at = self._moment(next_at, min(next_at + timedelta(hours=20), end), contact.time_zone)
        return rows

    def _campaign_call(
        self, campaign: Campaign, contact: Contact, row: CampaignContact, at: datetime
    ) -> Call:
        rng = self.rng
        status = rng.choices(
            (CallStatus.COMPLETED, CallStatus.NO_ANSWER, CallStatus.BUSY, CallStatus.FAILED), (62, 22, 9, 7)
        )[0]
        call = Call(
            organization_id=self.org_id,
            campaign_id=campaign.id,
            contact_id=contact.id,
            campaign_contact_id=row.id,
            twilio_sid=self._sid("CA"),
            direction=Direction.OUTBOUND,
            from_number=self.number,
            to_number=contact.phone,
            status=status,
            started_at=at,
            created_at=at,
        )
        if status == CallStatus.COMPLETED:
            call.answered_at = at + timedelta(seconds=rng.randint(4, 22))
            machine = rng.random() < 0.15
            call.answered_by = rng.choice(("machine_start", "machine_end_beep")) if machine else "human"
            call.duration_seconds = rng.randint(12, 40) if machine else rng.randint(35, 420)
            if machine:
                call.summary = "Reached voicemail; hung up without leaving a message."
            else:
                opt_out = campaign.status == CampaignStatus.COMPLETED and rng.random() < 0.07
                self._tell(call, contact, story.OPT_OUT_STORY if opt_out else rng.choice(story.CALL_STORIES))
        elif status == CallStatus.NO_ANSWER:
            call.duration_seconds = 0
            call.ended_at = at + timedelta(seconds=rng.randint(25, 35))
        elif status == CallStatus.BUSY:
            call.duration_seconds = 0
            call.ended_at = at + timedelta(seconds=rng.randint(2, 6))
        else:
            call.duration_seconds = 0
            call.ended_at = at + timedelta(seconds=1)
        if call.answered_at is not None:
            call.ended_at = call.answered_at + timedelta(seconds=call.duration_seconds or 0)
        call.updated_at = call.ended_at or at
        self.calls.append(call)
        if call.outcome == "opt_out" and call.ended_at is not None:
            self._opt_out(
                contact, OptOutChannel.CALL, "ivr", "Pressed 9 during a campaign call", call.ended_at
            )
        return call

    def _tell(self, call: Call, contact: Contact, told: tuple[str | None, str, str, float, str]) -> None:
        transcript, summary, sentiment, score, outcome = told
        if transcript is not None:
            call.transcript = transcript.format(
                first=contact.first_name, agent=self.agent, org=story.DEMO_ORG_NAME
            )
        call.summary, call.sentiment, call.outcome = summary, sentiment, outcome
        call.sentiment_score = round(score + self.rng.uniform(-0.08, 0.08), 2)

    def _inbound_calls(self, contacts: list[Contact]) -> None:
        rng = self.rng
        for contact in rng.sample(contacts, 45):
            at = self._moment(self.start, self.latest - timedelta(hours=1), contact.time_zone)
            answered = rng.random() < 0.75
            call = Call(
                organization_id=self.org_id,
                contact_id=contact.id,
                twilio_sid=self._sid("CA"),
                direction=Direction.INBOUND,
                from_number=contact.phone,
                to_number=self.number,
                status=CallStatus.COMPLETED if answered else CallStatus.NO_ANSWER,
                started_at=at,
                created_at=at,
            )
            if answered:
                call.agent_id = self.user_id
                call.answered_at = at + timedelta(seconds=rng.randint(3, 15))
                call.duration_seconds = rng.randint(40, 600)
                call.ended_at = call.answered_at + timedelta(seconds=call.duration_seconds)
                transcript, summary, sentiment, score = rng.choice(story.INBOUND_STORIES)
                self._tell(call, contact, (transcript, summary, sentiment, score, "talk"))
            else:
                call.duration_seconds = 0
                call.ended_at = at + timedelta(seconds=30)
            call.updated_at = call.ended_at
            self.calls.append(call)

    # -- messages --------------------------------------------------------------------------------------

    def _run_sms_campaign(self, campaign: Campaign, audience: list[Contact]) -> list[CampaignContact]:
        """The blast went out to part of the volunteers before the campaign was paused."""
        rng = self.rng
        begin = campaign.started_at or self.start
        rows = []
        for contact in audience:
            row = CampaignContact(
                organization_id=self.org_id,
                campaign_id=campaign.id,
                contact_id=contact.id,
                created_at=begin,
                updated_at=begin,
            )
            rows.append(row)
            if contact.opt_out_sms:
                row.status, row.last_outcome = CampaignContactStatus.SKIPPED, "opted_out"
                continue
            if rng.random() < 0.35:
                continue  # still queued when the campaign was paused
            sent_at = begin + timedelta(minutes=rng.uniform(0, 90))
            status = rng.choices(
                (MessageStatus.DELIVERED, MessageStatus.SENT, MessageStatus.FAILED), (86, 8, 6)
            )[0]
            body = story.SMS_CAMPAIGN_BODY.format(first=contact.first_name, org=story.DEMO_ORG_NAME)
            self._message(contact, "out", body, sent_at, campaign_id=campaign.id, status=status)
            row.attempts, row.last_attempt_at, row.updated_at = 1, sent_at, sent_at
            row.last_outcome = status
            row.status = (
                CampaignContactStatus.FAILED if status == MessageStatus.FAILED else CampaignContactStatus.DONE
            )
            if status == MessageStatus.FAILED:
                continue
            reply_at = sent_at + timedelta(minutes=rng.uniform(2, 600))
            roll = rng.random()
            if roll < 0.1:
                self._message(contact, "in", "STOP", reply_at)
                self._opt_out(contact, OptOutChannel.SMS, "sms_keyword", "Replied STOP", reply_at)
            elif roll < 0.55:
                reply, answer = rng.choice(story.SMS_REPLIES)
                self._message(contact, "in", reply, reply_at)
                if answer is not None and rng.random() < 0.8:
                    text = answer.format(first=contact.first_name)
                    self._message(contact, "out", text, reply_at + timedelta(minutes=rng.uniform(3, 180)))
        return rows

    def _everyday_conversations(self, contacts: list[Contact]) -> None:
        rng = self.rng
        candidates = [c for c in contacts if not c.opt_out_sms]
        for contact in rng.sample(candidates, 95):
            script = rng.choice(story.CONVERSATIONS_SCRIPTS)
            # Some threads are still waiting for the other side.
            script = script[: rng.randint(max(1, len(script) - 2), len(script))]
            at = self._moment(self.start, self.latest - timedelta(hours=12), contact.time_zone)
            for direction, text in script:
                body = text.format(first=contact.first_name, agent=self.agent, org=story.DEMO_ORG_NAME)
                self._message(contact, direction, body, at)
                at += timedelta(minutes=rng.uniform(1, 240))
                if at > self.latest:
                    break

    def _message(
        self,
        contact: Contact,
        direction: str,
        body: str,
        at: datetime,
        *,
        campaign_id: uuid.UUID | None = None,
        status: MessageStatus | None = None,
    ) -> None:
        at = min(at, self.latest)
        inbound = direction == "in"
        if status is None:
            status = (
                MessageStatus.RECEIVED
                if inbound
                else self.rng.choices(
                    (MessageStatus.DELIVERED, MessageStatus.SENT, MessageStatus.FAILED), (90, 6, 4)
                )[0]
            )
        message = Message(
            organization_id=self.org_id,
            conversation_id=uuid.UUID(int=0),  # set once the conversation exists (see _conversations)
            contact_id=contact.id,
            campaign_id=campaign_id,
            sent_by_id=None if inbound or campaign_id else self.user_id,
            direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
            body=body,
            status=status,
            twilio_sid=self._sid("SM"),
            from_number=contact.phone if inbound else self.number,
            to_number=self.number if inbound else contact.phone,
            # 30003: unreachable handset; 30006: landline or unreachable carrier.
            error_code=self.rng.choice(("30003", "30006")) if status == MessageStatus.FAILED else None,
            created_at=at,
            updated_at=at + timedelta(seconds=0 if inbound else self.rng.randint(1, 20)),
        )
        self.messages_by_contact.setdefault(contact.id, []).append(message)

    def _conversations(self) -> tuple[list[Conversation], list[Message]]:
        conversations, messages = [], []
        for contact_id, thread in self.messages_by_contact.items():
            thread.sort(key=lambda m: m.created_at)
            last = thread[-1]
            unread = 0
            for message in reversed(thread):
                if message.direction != Direction.INBOUND:
                    break
                unread += 1
            conversation = Conversation(
                organization_id=self.org_id,
                contact_id=contact_id,
                last_message_at=last.created_at,
                last_message_preview=last.body[:200],
                unread_count=unread,
                created_at=thread[0].created_at,
            )
            for message in thread:
                message.conversation_id = conversation.id
            conversations.append(conversation)
            messages.extend(thread)
        return conversations, messages

    # -- shared helpers --------------------------------------------------------------------------------

    def _sid(self, prefix: str) -> str:
        """A Twilio-shaped SID: two letters and 32 lowercase hex digits."""
        return f"{prefix}{self.rng.getrandbits(128):032x}"

    def _moment(self, earliest: datetime, latest: datetime, time_zone: str | None = None) -> datetime:
        """A random moment in [earliest, latest], inside the calling window where the contact lives."""
        latest = max(latest, earliest)
        zone = ZoneInfo(time_zone or "America/New_York")
        moment = earliest
        for _ in range(50):
            moment = earliest + (latest - earliest) * self.rng.random()
            if _CALL_WINDOW[0] <= moment.astimezone(zone).time() < _CALL_WINDOW[1]:
                break
        return moment


def _with_any_tag(contacts: list[Contact], *tags: str) -> list[Contact]:
    return [c for c in contacts if any(t in c.tags for t in tags)]
