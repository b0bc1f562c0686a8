"""Every page in a real browser, signed in: its heading, the organization's data, honest empty states."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Locator, Page, expect
from sqlmodel import Session

from reachimpact import routes
from reachimpact.models import (
    Call,
    CallStatus,
    Campaign,
    CampaignStatus,
    CampaignType,
    Contact,
    Conversation,
    Direction,
    Message,
    MessageStatus,
    Organization,
)
from tests.browser.accounts import Account, create_account, sign_in

ORG_NUMBER = "+15555550100"


def _sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


@dataclass(frozen=True)
class Seeded:
    organization: str
    other_organization_contact: str
    owner: Account


def _seed(session: Session) -> Seeded:
    """One organization with a little of everything and its owner, and another organization whose rows
    must never show."""
    now = datetime.now(UTC)
    org = Organization(
        name="Riverside Food Bank", time_zone="America/Chicago", created_at=now - timedelta(days=90)
    )
    other = Organization(name="Other Org", created_at=now - timedelta(days=1))
    session.add_all([org, other])
    session.flush()

    ada = Contact(
        organization_id=org.id,
        first_name="Ada",
        last_name="Lovelace",
        phone="+15555550101",
        email="ada@example.org",
        tags=["volunteer", "donor"],
    )
    grace = Contact(
        organization_id=org.id, first_name="Grace", last_name="Hopper", phone="+15555550102", opt_out_sms=True
    )
    alan = Contact(organization_id=org.id, first_name="Alan", last_name="Turing", phone="+15555550103")
    stranger = Contact(organization_id=other.id, first_name="Zed", last_name="Outsider", phone="+15555550199")
    session.add_all([ada, grace, alan, stranger])
    session.flush()

    appeal = Campaign(
        organization_id=org.id, name="Spring appeal", type=CampaignType.CALL, status=CampaignStatus.RUNNING
    )
    reminders = Campaign(
        organization_id=org.id, name="Pantry reminders", type=CampaignType.SMS, status=CampaignStatus.DRAFT
    )
    session.add_all([appeal, reminders])
    session.flush()

    def call(
        contact: Contact, status: CallStatus, ago: timedelta, duration: int | None = None, **extra: str
    ) -> Call:
        return Call(
            organization_id=contact.organization_id,
            campaign_id=appeal.id if contact.organization_id == org.id else None,
            contact_id=contact.id,
            twilio_sid=_sid("CA"),
            from_number=ORG_NUMBER,
            to_number=contact.phone,
            status=status,
            duration_seconds=duration,
            started_at=now - ago,
            created_at=now - ago,
            **extra,
        )

    session.add_all(
        [
            call(ada, CallStatus.COMPLETED, timedelta(hours=2), 185, sentiment="positive"),
            call(grace, CallStatus.NO_ANSWER, timedelta(days=3)),
            call(alan, CallStatus.BUSY, timedelta(days=10)),
            # Outside the 30-day window: listed on Calls, not counted on the dashboard or in analytics.
            call(alan, CallStatus.COMPLETED, timedelta(days=40), 60),
            call(stranger, CallStatus.COMPLETED, timedelta(hours=1), 30),
        ]
    )

    conversation = Conversation(
        organization_id=org.id,
        contact_id=ada.id,
        last_message_at=now - timedelta(hours=1),
        last_message_preview="Thanks, see you Saturday!",
        unread_count=1,
    )
    session.add(conversation)
    session.flush()
    for direction, body, status, ago in [
        (
            Direction.OUTBOUND,
            "Can you help at the pantry on Saturday?",
            MessageStatus.DELIVERED,
            timedelta(hours=3),
        ),
        (Direction.INBOUND, "Thanks, see you Saturday!", MessageStatus.RECEIVED, timedelta(hours=1)),
    ]:
        session.add(
            Message(
                organization_id=org.id,
                conversation_id=conversation.id,
                contact_id=ada.id,
                direction=direction,
                body=body,
                status=status,
                twilio_sid=_sid("SM"),
                from_number=ORG_NUMBER if direction == Direction.OUTBOUND else ada.phone,
                to_number=ada.phone if direction == Direction.OUTBOUND else ORG_NUMBER,
                created_at=now - ago,
            )
        )
    session.commit()
    owner = create_account(session, "Rita Riverside", organization_id=org.id)
    return Seeded(organization=org.name, other_organization_contact=stranger.full_name, owner=owner)


def _heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def _stat(page: Page, label: str) -> Locator:
    return page.get_by_role("group", name=label, exact=True)


def _cells(page: Page, row_text: str) -> Locator:
    return page.get_by_role("row").filter(has_text=row_text).get_by_role("cell")


def _go_by_sidebar(page: Page, label: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=label, exact=True).click()
    _heading(page, label)
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name=label, exact=True)
    ).to_have_attribute("aria-current", "page")


def test_pages_show_the_organizations_data(page: Page, session: Session) -> None:
    seeded = _seed(session)

    sign_in(page, seeded.owner.email)
    _heading(page, "Dashboard")
    expect(page.locator("header")).to_contain_text(seeded.organization)
    # This organization's rows only; calls and messages of the last 30 days only.
    expect(_stat(page, "Contacts").locator(".stat-value")).to_have_text("3")
    expect(_stat(page, "Running campaigns").locator(".stat-value")).to_have_text("1")
    expect(_stat(page, "Running campaigns")).to_contain_text("of 2 campaigns")
    expect(_stat(page, "Calls").locator(".stat-value")).to_have_text("3")
    expect(_stat(page, "Messages").locator(".stat-value")).to_have_text("2")
    recent = page.get_by_role("table")
    expect(recent).to_contain_text("Ada Lovelace")
    expect(recent).to_contain_text("3:05")

    # From here on the sidebar drives: the marker survives only if no full page load happens.
    page.evaluate("window.__sameDocument = true")

    _go_by_sidebar(page, "Contacts")
    expect(page).to_have_url(re.compile(r"/contacts$"))
    expect(page.get_by_text("3 contacts")).to_be_visible()
    grace = page.get_by_role("row").filter(has_text="Grace Hopper")
    expect(grace).to_contain_text("Opted out")
    ada = page.get_by_role("row").filter(has_text="Ada Lovelace")
    expect(ada).to_contain_text("ada@example.org")
    expect(ada).to_contain_text("volunteer")
    expect(page.get_by_text(seeded.other_organization_contact)).to_have_count(0)

    _go_by_sidebar(page, "Campaigns")
    expect(page.get_by_role("row").filter(has_text="Spring appeal")).to_contain_text("running")
    expect(page.get_by_role("row").filter(has_text="Pantry reminders")).to_contain_text("Text")

    _go_by_sidebar(page, "Calls")
    expect(page.get_by_role("row")).to_have_count(1 + 4)  # header + this organization's four calls
    expect(page.get_by_role("row").filter(has_text="Ada Lovelace")).to_contain_text("positive")
    expect(page.get_by_role("row").filter(has_text="Grace Hopper")).to_contain_text("no-answer")

    _go_by_sidebar(page, "Chat")
    expect(page.get_by_text("Thanks, see you Saturday!")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Ada Lovelace")

    _go_by_sidebar(page, "Analytics")
    expect(page.get_by_text("3 calls", exact=True)).to_be_visible()
    for status in ("completed", "no-answer", "busy"):
        expect(_cells(page, status)).to_have_text([status, "1"])
    expect(page.locator(".recharts-bar-rectangle")).to_have_count(3)

    _go_by_sidebar(page, "Settings")
    expect(page.locator("main")).to_contain_text(seeded.organization)
    expect(page.locator("main")).to_contain_text("America/Chicago")

    _go_by_sidebar(page, "Dashboard")
    assert page.evaluate("window.__sameDocument") is True


EMPTY_STATES = {
    routes.DASHBOARD: ("Dashboard", "No data yet"),
    routes.CONTACTS: ("Contacts", "No contacts yet", "Contacts you add or import will appear here."),
    routes.CAMPAIGNS: ("Campaigns", "No campaigns yet"),
    routes.CALLS: ("Calls", "No calls yet"),
    routes.CHAT: ("Chat", "No conversations yet"),
    routes.ANALYTICS: ("Analytics", "No calls in the last 30 days"),
    routes.SETTINGS: ("Settings", "No pending invitations"),
}


def test_every_page_has_an_honest_empty_state(page: Page, session: Session) -> None:
    """What a brand-new organization sees: nothing made up, and nothing of anyone else's."""
    assert [item.route for item in routes.NAVIGATION] == list(EMPTY_STATES), (
        "a page without an empty-state check"
    )
    _seed(session)
    newcomer = create_account(session, "Nora Newcomer")
    sign_in(page, newcomer.email)
    for route, (heading, *empty_texts) in EMPTY_STATES.items():
        page.goto(route)
        _heading(page, heading)
        for text in empty_texts:
            expect(page.locator(".empty-state")).to_contain_text(text)
        expect(page.locator(".organization-name")).to_have_text("Nora Newcomer's organization")
        if route != routes.SETTINGS:  # Settings lists the user's own sessions and membership
            expect(page.get_by_role("table")).to_have_count(0)
