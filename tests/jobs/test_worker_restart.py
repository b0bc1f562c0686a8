"""Kill the job worker (SIGKILL) in the middle of a campaign, start it again: the campaign finishes with
nobody dialled twice and nobody skipped. "Dialled" is what Twilio received: the fake Twilio's ledger."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from reachimpact.db import PROJECT_ROOT
from reachimpact.models import Call, Campaign, CampaignContact
from tests.factories import make_contacts, make_member, new_campaign, start
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

CONTACTS = 60


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    # Each call takes 50 ms to create and ends 0.3 s later with a signed "completed" callback.
    server = FakeTwilio(complete_after=0.3, create_delay=0.05).start()
    yield server
    server.stop()


def worker(log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(PROJECT_ROOT / ".venv" / "bin" / "procrastinate"),
            "--app=reachimpact.jobs.app",
            "worker",
            "-q",
            "dialer",
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def wait_for(
    condition: Callable[[], bool], seconds: float, what: str, log: Path, state: Callable[[], str] = str
) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what} ({state()}); worker log:\n{log.read_text()[-4000:]}")
        time.sleep(0.05)


def test_kill_the_worker_mid_campaign_and_restart_it(
    live_api: str, fake: FakeTwilio, session: Session, configure: Callable[..., None], tmp_path: Path
) -> None:
    configure(
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_api_base_url=fake.base_url,
        twilio_from_number="+12025550188",
        dialer_unconfirmed_after_seconds=2,
    )
    member = make_member(session)
    people = make_contacts(session, member.organization_id, CONTACTS, time_zone="UTC")
    campaign_id = new_campaign(
        session, member, calls_per_minute=600, max_concurrent=8, window_start="00:00", window_end="23:59"
    )
    start(session, member, campaign_id)
    log = tmp_path / "worker.log"

    first = worker(log)
    try:
        # Killed while Twilio is busy creating calls: some requests are in flight, others not yet sent.
        wait_for(
            lambda: len(fake.creates()) >= CONTACTS // 3 and fake.in_flight > 0,
            30,
            "a third of the calls",
            log,
        )
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    dialled_before_kill = len(fake.creates())
    assert dialled_before_kill < CONTACTS, "the campaign finished before the kill: it tested nothing"

    second = worker(log)

    def finished() -> bool:
        session.expire_all()
        return session.get(Campaign, campaign_id).status == "completed"  # type: ignore[union-attr]

    def state() -> str:
        entries = Counter((e.status, e.last_outcome) for e in session.exec(select(CampaignContact)))
        calls = Counter((c.status, c.outcome, c.twilio_sid is not None) for c in session.exec(select(Call)))
        return f"contacts {dict(entries)}, calls {dict(calls)}, dialled {len(fake.creates())}"

    try:
        wait_for(finished, 60, "the campaign to complete", log, state)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=15)

    dialled = Counter(request.form["To"][0] for request in fake.creates())
    assert dialled == Counter({person.phone: 1 for person in people}), "someone was dialled twice or skipped"
    entries = session.exec(select(CampaignContact).where(CampaignContact.campaign_id == campaign_id)).all()
    assert {(e.status, e.last_outcome) for e in entries} == {("done", "completed")}
    calls = session.exec(select(Call).where(Call.campaign_id == campaign_id)).all()
    placed = [c for c in calls if c.twilio_sid is not None]
    assert sorted(c.twilio_sid for c in placed) == sorted(fake.calls)  # every Twilio call is on record
    # Anything else on record is a dial the dead worker recorded but never made, and says so.
    assert {c.outcome for c in calls if c.twilio_sid is None} <= {"not_placed"}
