"""The demo organization's made-up numbers are never dialled through real Twilio."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from reachimpact.models import Campaign, CampaignStatus, Organization
from reachimpact.services import dialer
from reachimpact.settings import get_settings


@pytest.mark.parametrize(("twilio", "dials"), [(True, False), (False, True)])
def test_demo_campaigns_only_run_on_the_simulator(
    session: Session, monkeypatch: pytest.MonkeyPatch, twilio: bool, dials: bool
) -> None:
    org = Organization(name="Demo Campaign HQ", settings={"demo": True})
    session.add(org)
    session.flush()
    campaign = Campaign(organization_id=org.id, name="GOTV", status=CampaignStatus.RUNNING)
    session.add(campaign)
    session.commit()
    if twilio:
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token")
    get_settings.cache_clear()
    try:
        result, _ = dialer._plan_tick(session, campaign.id, dialer.utcnow())
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert (result.reason != "demo_with_real_provider") is dials
