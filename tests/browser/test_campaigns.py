"""Call campaigns in a real browser: a campaign made with the form and started from its page runs on the
simulator (through the job worker and our signed webhooks), and its page and the Calls page show each
call's status change live, pushed from PostgreSQL NOTIFY, without a reload; then the call's own page."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, Page, expect
from reflex.config import get_config
from sqlmodel import Session, col, select

from reachimpact import routes
from reachimpact.models import Call, Campaign, CampaignStatus, CampaignStatusChange, Contact, Role
from reachimpact.services import campaigns
from reachimpact.services.auth import Principal
from reachimpact.services.campaigns import CampaignIn
from tests.browser.accounts import create_account, sign_in
from tests.databases import forget_dialer_jobs
from tests.jobs.job_worker import job_worker

AUDIENCE = 4
FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}
UNDER_WAY = {"queued", "initiated", "ringing", "in-progress"}
NO_RELOAD_MARK = "window.__stillTheSameDocument"


@pytest.fixture(autouse=True)
def _forget_dialer_jobs(_cleaner: psycopg.Connection) -> Iterator[None]:
    yield
    forget_dialer_jobs(_cleaner)


def _statuses(page: Page, table: str) -> dict[str, str]:
    """Call id → the status shown, for each row of one of the page's call tables."""
    rows = page.eval_on_selector_all(
        f"{table} tr.call-row",
        "rows => rows.map(r => [r.dataset.callId, r.querySelector('.call-status').innerText.trim()])",
    )
    return dict(rows)


def _clock_window() -> tuple[str, str]:
    """A calling window open now for contacts in UTC (from an hour ago to three hours ahead)."""
    now = datetime.now(UTC)
    return f"{now - timedelta(hours=1):%H:%M}", f"{now + timedelta(hours=3):%H:%M}"


def test_a_simulated_campaign_runs_live_on_its_page_and_the_calls_page(
    page: Page, session: Session, tmp_path: Path
) -> None:
    owner = create_account(session, "Cleo Caller")
    session.add_all(
        Contact(
            organization_id=owner.organization_id,
            first_name=f"Voter{i}",
            last_name="Live",
            phone=f"+1202555{i:04d}",
            time_zone="UTC",
            tags=["live-test"],
        )
        for i in range(AUDIENCE)
    )
    session.add(
        Contact(
            organization_id=owner.organization_id, first_name="Not", last_name="Tagged", phone="+12025559999"
        )
    )
    session.commit()

    sign_in(page, owner.email)
    page.goto(routes.CAMPAIGNS)
    expect(page.get_by_text("No campaigns yet")).to_be_visible()

    # The form refuses what the service refuses, and keeps the dialog open to fix it.
    page.get_by_role("button", name="New campaign").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("Turnout calls")
    window_from, window_until = _clock_window()
    dialog.get_by_label("Call from").fill(window_from)
    dialog.get_by_label("Call until").fill(window_from)
    dialog.get_by_role("button", name="Create campaign").click()
    expect(dialog.get_by_role("alert")).to_contain_text("must not start and end at the same time")

    dialog.get_by_label("Call until").fill(window_until)
    dialog.get_by_label("Script").fill("Hello from **Turnout**. Polls open at 7.")
    dialog.get_by_label("Call contacts tagged").fill("live-test")
    # One attempt each, so every contact is done within the test whatever the simulator's outcome.
    for attempts in dialog.get_by_label("Attempts").all():
        attempts.fill("1")
    dialog.get_by_role("button", name="Create campaign").click()

    expect(page).to_have_url(re.compile(r"/campaigns/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", level=2, name="Turnout calls")).to_be_visible()
    expect(page.locator(".campaign-status")).to_have_text("draft")

    # A draft can still be edited: the form opens with its values.
    page.get_by_role("button", name="Edit").click()
    editor = page.get_by_role("dialog")
    expect(editor.get_by_label("Call contacts tagged")).to_have_value("live-test")
    expect(editor.get_by_label("Calls per minute")).to_have_value("10")
    editor.get_by_label("Calls per minute").fill("120")
    editor.get_by_label("At most at once").fill("2")
    editor.get_by_role("button", name="Save").click()
    expect(editor).to_be_hidden()
    expect(page.locator("main")).to_contain_text("120 calls a minute, at most 2 at once")
    campaign = session.exec(select(Campaign).where(Campaign.organization_id == owner.organization_id)).one()
    assert campaign.calls_per_minute == 120 and campaign.max_concurrent == 2
    assert campaign.audience == {"tags": ["live-test"]}

    # A second tab on the Calls page follows every call of the organization.
    calls_page = page.context.new_page()
    calls_page.goto(routes.CALLS)
    expect(calls_page.get_by_role("heading", level=1)).to_have_text("Calls")
    expect(calls_page.get_by_text("No calls yet")).to_be_visible()
    for tab in (page, calls_page):
        tab.evaluate(f"{NO_RELOAD_MARK} = true")

    seen: dict[str, list[str]] = {}
    backend = get_config().api_url
    # The simulator plays Twilio at 0.15× real time and posts its signed callbacks to this app.
    with job_worker(tmp_path / "worker.log", SIMULATOR_DELIVERY_URL=backend, SIMULATOR_TIME_SCALE="0.15"):
        page.get_by_role("button", name="Start").click()
        page.get_by_role("alertdialog").get_by_role("button", name="Start calling").click()
        expect(page.locator(".campaign-status")).to_have_text("running")

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            for call_id, status in _statuses(page, ".campaign-calls").items():
                history = seen.setdefault(call_id, [])
                if not history or history[-1] != status:
                    history.append(status)
            finished = [h for h in seen.values() if h[-1] in FINAL]
            if len(finished) == AUDIENCE:
                break
            page.wait_for_timeout(100)

        # Every contact was called once, and the page saw calls move from under way to finished.
        assert len(seen) == AUDIENCE, seen
        assert all(history[-1] in FINAL for history in seen.values()), seen
        assert any(history[0] in UNDER_WAY for history in seen.values()), seen
        expect(page.locator(".campaign-status")).to_have_text("completed", timeout=30_000)

    progress = page.locator(".campaign-progress")
    expect(progress.get_by_role("group", name="Dialled")).to_contain_text(str(AUDIENCE))
    expect(progress.get_by_role("group", name="Remaining")).to_contain_text("0")
    expect(progress).to_contain_text("100% of the audience done")

    # The Calls page followed the same calls without being touched.
    expect(calls_page.locator(".recent-calls tr.call-row")).to_have_count(AUDIENCE)
    assert set(_statuses(calls_page, ".recent-calls")) == set(seen)
    expect(calls_page.locator(".live-calls")).to_contain_text("No calls under way")
    for tab in (page, calls_page):
        assert tab.evaluate(NO_RELOAD_MARK) is True, "the page was reloaded"

    # The database agrees with what the pages showed.
    session.expire_all()
    calls = session.exec(select(Call).where(Call.campaign_id == campaign.id)).all()
    assert {str(c.id): c.status for c in calls} == {call_id: h[-1] for call_id, h in seen.items()}
    assert session.get(Campaign, campaign.id).status == CampaignStatus.COMPLETED

    # A call's own page: its facts and the timeline of what the simulator reported as Twilio would.
    answered = next((c for c in calls if c.status == "completed"), calls[0])
    page.locator(f'tr[data-call-id="{answered.id}"]').get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Call")
    expect(page.locator(".call-facts")).to_contain_text("Turnout calls")
    expect(page.locator(".call-event").first).to_be_visible()
    expect(page.locator(".call-status")).to_have_text(answered.status)


def test_the_campaign_buttons_move_it_through_its_states_and_agents_see_none(
    page: Page, session: Session, browser: Browser, base_url: str
) -> None:
    owner = create_account(session, "Paula Pauser")
    session.add(
        Contact(
            organization_id=owner.organization_id, first_name="Ann", phone="+12025550101", time_zone="UTC"
        )
    )
    session.commit()
    # No job worker runs here: the dialer never calls, and the buttons alone move the campaign.
    principal = Principal(owner.user_id, owner.organization_id, Role.OWNER)
    campaign = campaigns.create_campaign(session, principal, CampaignIn(name="Button drill"))
    session.commit()

    sign_in(page, owner.email)
    page.goto(routes.campaign_url(str(campaign.id)))
    status = page.locator(".campaign-status")
    expect(status).to_have_text("draft")
    page.get_by_role("button", name="Start").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Start calling").click()
    expect(status).to_have_text("running")
    page.get_by_role("button", name="Pause").click()
    expect(status).to_have_text("paused")
    page.get_by_role("button", name="Resume").click()
    expect(status).to_have_text("running")
    page.get_by_role("button", name="Stop").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Stop campaign").click()
    expect(status).to_have_text("stopped")
    expect(page.get_by_role("button", name="Pause")).to_have_count(0)
    history = page.locator("main").get_by_text(re.compile("→"))
    expect(history).to_have_text(
        ["running → stopped", "paused → running", "running → paused", "draft → running"]
    )
    session.expire_all()
    moves = session.exec(
        select(CampaignStatusChange.to_status)
        .where(CampaignStatusChange.campaign_id == campaign.id)
        .order_by(col(CampaignStatusChange.created_at))
    ).all()
    assert moves == ["running", "paused", "running", "stopped"]

    # An agent sees the campaign and its progress, but no button that changes it.
    agent = create_account(session, "Aldo Agent", organization_id=owner.organization_id, role=Role.AGENT)
    context = browser.new_context(base_url=base_url)
    try:
        agent_page = context.new_page()
        sign_in(agent_page, agent.email)
        agent_page.goto(routes.campaign_url(str(campaign.id)))
        expect(agent_page.locator(".campaign-status")).to_have_text("stopped")
        expect(agent_page.locator(".campaign-controls")).to_have_count(0)
    finally:
        context.close()


def test_the_calls_page_shows_older_calls_on_demand(page: Page, session: Session) -> None:
    owner = create_account(session, "Olga Older")
    start = datetime.now(UTC) - timedelta(days=1)
    session.add_all(
        Call(
            organization_id=owner.organization_id,
            to_number=f"+1202555{i:04d}",
            status="completed",
            created_at=start + timedelta(minutes=i),
        )
        for i in range(55)
    )
    session.commit()

    sign_in(page, owner.email)
    page.goto(routes.CALLS)
    rows = page.locator(".recent-calls tr.call-row")
    expect(rows).to_have_count(50)
    expect(rows.first).to_contain_text("+12025550054")  # newest first
    page.get_by_role("button", name="Show older calls").click()
    expect(rows).to_have_count(55)
    expect(rows.last).to_contain_text("+12025550000")
    expect(page.get_by_role("button", name="Show older calls")).to_have_count(0)
