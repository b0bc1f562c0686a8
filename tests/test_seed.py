"""The demo seed, driven through its CLI: what a newcomer's database holds after `make run`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import bcrypt
import phonenumbers
import pytest
from phonenumbers import timezone as phone_timezone
from sqlmodel import Session, col, func, select

from reachimpact.db import PROJECT_ROOT
from reachimpact.demo import (
    DEMO_EMAIL,
    DEMO_FROM_NUMBER,
    DEMO_ORG_NAME,
    DEMO_PASSWORD,
    find_demo_organization,
)
from reachimpact.models import (
    Call,
    CallStatus,
    Campaign,
    CampaignContact,
    Contact,
    Conversation,
    Direction,
    Membership,
    Message,
    MessageStatus,
    OptOut,
    Organization,
    PhoneNumber,
    Role,
    User,
)
from reachimpact.seed import main
from tests.factories import make_member

CALL_SID = re.compile(r"^CA[0-9a-f]{32}$")
MESSAGE_SID = re.compile(r"^SM[0-9a-f]{32}$")
CALL_STATUSES = {CallStatus.COMPLETED, CallStatus.BUSY, CallStatus.NO_ANSWER, CallStatus.FAILED}


def _demo_org(session: Session) -> Organization:
    session.expire_all()
    org = find_demo_organization(session)
    assert org is not None, "no demo organization"
    return org


def _counts(session: Session) -> dict[str, int]:
    """Rows per table, across all organizations (what a skipped or repeated seed must not change)."""
    session.expire_all()
    tables = (Organization, User, Membership, Contact, Campaign, CampaignContact, Call, Conversation, Message)
    return {t.__tablename__: session.exec(select(func.count()).select_from(t)).one() for t in tables}


def _demo_counts(session: Session, org_id: uuid.UUID) -> dict[str, int]:
    tables = (Contact, Campaign, CampaignContact, Call, Conversation, Message, OptOut, PhoneNumber)
    return {
        t.__tablename__: session.exec(
            select(func.count()).select_from(t).where(t.organization_id == org_id)  # type: ignore[attr-defined]
        ).one()
        for t in tables
    }


def test_cli_seeds_an_empty_database_as_a_subprocess(session: Session) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reachimpact.seed", "--if-empty"],
        cwd=PROJECT_ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Demo login: demo@reachimpact.io / reachimpact-demo" in result.stdout
    assert _demo_org(session).name == DEMO_ORG_NAME


def test_seed_builds_a_living_demo_organization(session: Session, capsys: pytest.CaptureFixture[str]) -> None:
    before = datetime.now(UTC)
    assert main([]) == 0
    after = datetime.now(UTC)
    assert "Demo login: demo@reachimpact.io / reachimpact-demo" in capsys.readouterr().out

    org = _demo_org(session)
    counts = _demo_counts(session, org.id)
    assert 190 <= counts["contacts"] <= 210
    assert counts["campaigns"] == 3
    assert counts["calls"] >= 200
    assert counts["messages"] >= 200
    assert counts["conversations"] >= 50
    assert counts["opt_outs"] >= 3
    assert counts["phone_numbers"] == 1

    user = session.exec(select(User).where(User.email == DEMO_EMAIL)).one()
    assert user.password_hash is not None and user.password_hash.startswith("$2b$12$")
    assert bcrypt.checkpw(DEMO_PASSWORD.encode(), user.password_hash.encode())
    membership = session.exec(select(Membership).where(Membership.user_id == user.id)).one()
    assert (membership.organization_id, membership.role) == (org.id, Role.OWNER)

    number = session.exec(select(PhoneNumber).where(PhoneNumber.organization_id == org.id)).one()
    assert number.number == DEMO_FROM_NUMBER  # TWILIO_FROM_NUMBER is unset in tests

    contacts = session.exec(select(Contact).where(Contact.organization_id == org.id)).all()
    for contact in contacts:
        parsed = phonenumbers.parse(contact.phone)
        assert phonenumbers.is_valid_number(parsed), contact.phone
        assert contact.phone == phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        assert contact.first_name and contact.last_name
        assert contact.time_zone in phone_timezone.time_zones_for_number(parsed)
    assert len({c.last_name for c in contacts}) >= 30
    assert {t for c in contacts for t in c.tags} == {"volunteer", "donor", "supporter", "undecided", "press"}
    assert any(c.opt_out_calls for c in contacts) and any(c.opt_out_sms for c in contacts)

    campaigns = session.exec(select(Campaign).where(Campaign.organization_id == org.id)).all()
    assert sorted((c.type, c.status) for c in campaigns) == [
        ("call", "completed"),
        ("call", "running"),
        ("sms", "paused"),
    ]

    window_start = before - timedelta(days=30)
    calls = session.exec(select(Call).where(Call.organization_id == org.id)).all()
    assert {c.status for c in calls} == CALL_STATUSES
    assert sum(c.status == CallStatus.COMPLETED for c in calls) > len(calls) / 2
    for call in calls:
        assert call.twilio_sid is not None and CALL_SID.match(call.twilio_sid), call.twilio_sid
        for moment in (call.created_at, call.started_at, call.ended_at):
            assert moment is not None and moment.tzinfo is not None
            assert window_start <= moment <= after
        assert call.duration_seconds is not None
        if call.status == CallStatus.COMPLETED:
            assert call.answered_at is not None and call.duration_seconds > 0
            assert call.summary
        else:
            assert call.duration_seconds == 0 and call.answered_at is None
    completed_human = [c for c in calls if c.answered_by == "human"]
    assert completed_human and all(
        c.sentiment in {"positive", "neutral", "negative"} for c in completed_human
    )
    assert any(c.transcript for c in completed_human)

    messages = session.exec(select(Message).where(Message.organization_id == org.id)).all()
    for message in messages:
        assert message.twilio_sid is not None and MESSAGE_SID.match(message.twilio_sid), message.twilio_sid
        if message.direction == Direction.INBOUND:
            assert message.status == MessageStatus.RECEIVED
        else:
            assert message.status in {MessageStatus.DELIVERED, MessageStatus.SENT, MessageStatus.FAILED}
        assert message.created_at.tzinfo is not None
        assert window_start <= message.created_at <= after
    assert {m.direction for m in messages} == {Direction.INBOUND, Direction.OUTBOUND}

    # Consent holds in the history too: nobody was dialed or texted after opting out of that channel.
    for opt_out in session.exec(select(OptOut).where(col(OptOut.contact_id).is_not(None))).all():
        if opt_out.channel in ("all", "call"):
            assert not [
                c
                for c in calls
                if c.contact_id == opt_out.contact_id
                and c.direction == Direction.OUTBOUND
                and c.created_at > opt_out.created_at
            ]
        if opt_out.channel in ("all", "sms"):
            assert not [
                m
                for m in messages
                if m.contact_id == opt_out.contact_id
                and m.direction == Direction.OUTBOUND
                and m.created_at > opt_out.created_at
            ]


def test_if_empty_leaves_a_database_with_organizations_alone(
    session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    make_member(session, org_name="Real Org")
    before = _counts(session)

    assert main(["--if-empty"]) == 0

    assert "Skipped" in capsys.readouterr().out
    assert _counts(session) == before
    assert find_demo_organization(session) is None


def test_seeding_again_changes_nothing(session: Session, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    before = _counts(session)

    assert main(["--if-empty"]) == 0
    assert main([]) == 0

    out = capsys.readouterr().out
    assert "Skipped" in out and "already exists" in out
    assert _counts(session) == before


def test_reset_recreates_one_demo_organization_with_the_same_data(session: Session) -> None:
    other = make_member(session, org_name="Real Org")
    assert main([]) == 0
    first_org_id = _demo_org(session).id
    first_counts = _demo_counts(session, first_org_id)
    first_phones = sorted(session.exec(select(Contact.phone).where(Contact.organization_id == first_org_id)))

    assert main(["--reset"]) == 0

    session.expire_all()
    demo_orgs = session.exec(
        select(Organization).where(col(Organization.settings).contains({"demo": True}))
    ).all()
    assert len(demo_orgs) == 1 and demo_orgs[0].id != first_org_id
    assert _demo_counts(session, demo_orgs[0].id) == first_counts
    # Same seed, same people.
    assert sorted(session.exec(select(Contact.phone).where(Contact.organization_id == demo_orgs[0].id))) == (
        first_phones
    )
    assert session.exec(select(func.count()).select_from(User).where(User.email == DEMO_EMAIL)).one() == 1
    # Nothing of the demo is left behind, and other organizations are untouched.
    assert session.get(Organization, first_org_id) is None
    assert session.get(Organization, other.organization_id) is not None


def test_another_seed_gives_other_people(session: Session) -> None:
    assert main(["--seed", "7"]) == 0
    phones_7 = set(session.exec(select(Contact.phone)))
    assert main(["--reset", "--seed", "8"]) == 0
    session.expire_all()
    phones_8 = set(session.exec(select(Contact.phone)))
    assert len(phones_7) == len(phones_8) == 200
    assert len(phones_7 & phones_8) < 10
