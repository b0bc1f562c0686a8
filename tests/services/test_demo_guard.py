"""The demo organization's made-up numbers are never dialled through real Twilio."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from reachimpact.models import Organization
from reachimpact.services import dialer
from reachimpact.settings import get_settings
from tests.factories import make_contacts, make_member, new_campaign, start
from tests.fakes.telephony import RecordingProvider

# 09:30 in New York: inside the default calling window.
MORNING = datetime(2026, 3, 3, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(("twilio", "dials"), [(True, False), (False, True)])
def test_demo_campaigns_only_run_on_the_simulator(
    session: Session, monkeypatch: pytest.MonkeyPatch, twilio: bool, dials: bool
) -> None:
    member = make_member(session, org_name="Demo Campaign HQ")
    organization = session.get(Organization, member.organization_id)
    assert organization is not None
    organization.settings = {"demo": True}
    session.add(organization)
    session.commit()
    (person,) = make_contacts(session, member.organization_id, 1, time_zone="America/New_York")
    campaign_id = new_campaign(session, member, name="GOTV")
    start(session, member, campaign_id, now=MORNING)
    if twilio:
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token")
    get_settings.cache_clear()
    provider = RecordingProvider()
    try:
        result = dialer.run_tick(campaign_id, provider=provider, now=MORNING)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert (result.reason != "demo_with_real_provider") is dials
    assert provider.numbers() == ([person.phone] if dials else [])
