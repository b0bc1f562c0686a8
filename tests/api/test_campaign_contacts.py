"""Adding chosen contacts to a call campaign: a draft's audience grows as a list, a started campaign dials
them (or skips those who may not be called), and nobody else's campaign or contacts are touched."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from reachimpact.errors import Conflict, Forbidden, Invalid, NotFound
from reachimpact.models import Campaign, CampaignContact, CampaignStatus, OptOut, Role
from reachimpact.services import campaign_audience, campaigns
from reachimpact.services.auth import Principal
from reachimpact.services.campaign_audience import AddedContacts, CampaignChoice
from tests.factories import auth_headers, make_contacts, make_member, new_campaign, start


def add(
    session: Session, principal: Principal, campaign_id: uuid.UUID, ids: list[uuid.UUID]
) -> AddedContacts:
    added = campaigns.add_contacts(session, principal, campaign_id, ids)
    session.commit()
    return added


def audience(session: Session, campaign_id: uuid.UUID) -> dict:
    session.expire_all()
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    return campaign.audience


def enrolled(session: Session, campaign_id: uuid.UUID) -> dict[uuid.UUID, tuple[str, str | None]]:
    session.expire_all()
    rows = session.exec(select(CampaignContact).where(CampaignContact.campaign_id == campaign_id))
    return {row.contact_id: (row.status, row.last_outcome) for row in rows}


def queued_ticks(session: Session, campaign_id: uuid.UUID) -> int:
    return (
        session.connection()
        .exec_driver_sql(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'dialer.tick' AND status = 'todo' "
            "AND args->>'campaign_id' = %s",
            (str(campaign_id),),
        )
        .scalar_one()
    )


def test_a_draft_audience_becomes_then_grows_an_ordered_list_without_repeats(session: Session) -> None:
    owner = make_member(session)
    a, b, c, d = make_contacts(session, owner.organization_id, 4)
    # A fresh draft aims at every contact: choosing contacts for it says whom to call.
    campaign_id = new_campaign(session, owner)
    assert add(session, owner, campaign_id, [b.id, a.id, b.id]) == AddedContacts(
        added=2, already_in=0, not_found=0
    )
    assert audience(session, campaign_id) == {"contact_ids": [str(b.id), str(a.id)]}

    assert add(session, owner, campaign_id, [c.id, a.id, d.id, c.id]) == AddedContacts(
        added=2, already_in=1, not_found=0
    )
    assert audience(session, campaign_id) == {"contact_ids": [str(b.id), str(a.id), str(c.id), str(d.id)]}

    # Nothing new: the list stays as it was.
    assert add(session, owner, campaign_id, [d.id]) == AddedContacts(added=0, already_in=1, not_found=0)
    assert audience(session, campaign_id)["contact_ids"] == [str(b.id), str(a.id), str(c.id), str(d.id)]

    # Started, it calls exactly the list.
    start(session, owner, campaign_id)
    assert set(enrolled(session, campaign_id)) == {a.id, b.id, c.id, d.id}


def test_a_draft_chosen_by_tags_or_search_refuses_and_says_to_tag_instead(session: Session) -> None:
    owner = make_member(session)
    (person,) = make_contacts(session, owner.organization_id, 1)
    by_tags = new_campaign(session, owner, name="Volunteers", audience={"tags": ["volunteer"]})
    with pytest.raises(Conflict, match="audience of 'Volunteers' is chosen by tags.*one of its tags"):
        campaigns.add_contacts(session, owner, by_tags, [person.id])
    session.rollback()
    assert audience(session, by_tags) == {"tags": ["volunteer"]}

    by_search = new_campaign(session, owner, audience={"q": "Person"})
    with pytest.raises(Conflict, match="chosen by a search"):
        campaigns.add_contacts(session, owner, by_search, [person.id])
    session.rollback()
    assert audience(session, by_search) == {"q": "Person"}


def test_a_running_campaign_dials_the_new_contacts_and_skips_those_not_to_be_called(
    session: Session,
) -> None:
    owner = make_member(session)
    org = owner.organization_id
    first, opted_out, listed, texts_only, fresh = make_contacts(session, org, 5)
    opted_out.opt_out_calls = True
    session.add(OptOut(organization_id=org, phone=listed.phone, channel="call"))
    session.add(OptOut(organization_id=org, phone=texts_only.phone, channel="sms"))
    session.commit()
    campaign_id = new_campaign(session, owner, audience={"contact_ids": [str(first.id)]})
    start(session, owner, campaign_id)
    session.connection().exec_driver_sql("DELETE FROM procrastinate_jobs WHERE task_name = 'dialer.tick'")
    session.commit()

    added = add(session, owner, campaign_id, [first.id, opted_out.id, listed.id, texts_only.id, fresh.id])

    assert added == AddedContacts(added=4, already_in=1, not_found=0)
    assert enrolled(session, campaign_id) == {
        first.id: ("pending", None),
        opted_out.id: ("skipped", "do_not_contact"),
        listed.id: ("skipped", "do_not_contact"),
        texts_only.id: ("pending", None),
        fresh.id: ("pending", None),
    }
    # The dialer is told at once; the frozen audience itself is history and stays as it was.
    assert queued_ticks(session, campaign_id) == 1
    assert audience(session, campaign_id) == {"contact_ids": [str(first.id)]}
    progress = campaigns.campaign_progress(session, owner, campaign_id)
    assert (progress.total, progress.pending, progress.skipped) == (5, 3, 2)


def test_a_paused_campaign_takes_contacts_without_waking_the_dialer(session: Session) -> None:
    owner = make_member(session)
    first, later = make_contacts(session, owner.organization_id, 2)
    campaign_id = new_campaign(session, owner, audience={"contact_ids": [str(first.id)]})
    start(session, owner, campaign_id)
    campaigns.pause_campaign(session, owner, campaign_id)
    session.connection().exec_driver_sql("DELETE FROM procrastinate_jobs WHERE task_name = 'dialer.tick'")
    session.commit()

    assert add(session, owner, campaign_id, [later.id]) == AddedContacts(added=1, already_in=0, not_found=0)
    assert enrolled(session, campaign_id) == {first.id: ("pending", None), later.id: ("pending", None)}
    assert queued_ticks(session, campaign_id) == 0


def test_another_organizations_campaign_is_not_found_and_its_contacts_are_never_added(
    session: Session,
) -> None:
    owner = make_member(session)
    stranger = make_member(session, org_name="Elsewhere")
    (ours,) = make_contacts(session, owner.organization_id, 1)
    (theirs,) = make_contacts(session, stranger.organization_id, 1, first=50)
    their_campaign = new_campaign(session, stranger)
    with pytest.raises(NotFound):
        campaigns.add_contacts(session, owner, their_campaign, [ours.id])
    session.rollback()
    assert audience(session, their_campaign) == {}

    draft = new_campaign(session, owner)
    assert add(session, owner, draft, [theirs.id, ours.id, uuid.uuid4()]) == AddedContacts(
        added=1, already_in=0, not_found=2
    )
    assert audience(session, draft) == {"contact_ids": [str(ours.id)]}
    # Only strangers: a draft aimed at everyone stays so, rather than becoming an empty list.
    other_draft = new_campaign(session, owner)
    assert add(session, owner, other_draft, [theirs.id]) == AddedContacts(added=0, already_in=0, not_found=1)
    assert audience(session, other_draft) == {}

    start(session, owner, draft)
    assert add(session, owner, draft, [theirs.id]).not_found == 1
    assert set(enrolled(session, draft)) == {ours.id}


def test_agents_may_not_add_and_finished_or_text_campaigns_take_no_one(session: Session) -> None:
    owner = make_member(session)
    agent = make_member(session, role=Role.AGENT, organization_id=owner.organization_id)
    (person,) = make_contacts(session, owner.organization_id, 1)
    campaign_id = new_campaign(session, owner, audience={"contact_ids": [str(person.id)]})
    with pytest.raises(Forbidden, match="agent"):
        campaigns.add_contacts(session, agent, campaign_id, [person.id])

    (later,) = make_contacts(session, owner.organization_id, 1, first=10)
    start(session, owner, campaign_id)
    campaigns.stop_campaign(session, owner, campaign_id)
    session.commit()
    with pytest.raises(Conflict, match="stopped campaign takes no more contacts"):
        campaigns.add_contacts(session, owner, campaign_id, [later.id])
    session.rollback()

    completed = new_campaign(session, owner, audience={"contact_ids": [str(person.id)]})
    start(session, owner, completed)
    campaign = session.get(Campaign, completed, with_for_update=True)
    assert campaign is not None
    campaigns.change_status(session, campaign, CampaignStatus.COMPLETED, actor_id=None, now=datetime.now(UTC))
    session.commit()
    with pytest.raises(Conflict, match="completed campaign takes no more contacts"):
        campaigns.add_contacts(session, owner, completed, [later.id])
    session.rollback()
    assert set(enrolled(session, completed)) == {person.id}

    texts = new_campaign(session, owner, type="sms")
    with pytest.raises(Invalid, match="Only call campaigns"):
        campaigns.add_contacts(session, owner, texts, [later.id])


def test_the_campaigns_offered_are_the_organizations_call_campaigns_still_taking_contacts(
    session: Session,
) -> None:
    owner = make_member(session)
    stranger = make_member(session, org_name="Elsewhere")
    make_contacts(session, owner.organization_id, 1)  # someone for the started campaigns to call
    draft = new_campaign(session, owner, name="Draft")
    running = new_campaign(session, owner, name="Running")
    start(session, owner, running)
    paused = new_campaign(session, owner, name="Paused")
    start(session, owner, paused)
    campaigns.pause_campaign(session, owner, paused)
    stopped = new_campaign(session, owner, name="Stopped")
    start(session, owner, stopped)
    campaigns.stop_campaign(session, owner, stopped)
    session.commit()
    new_campaign(session, owner, name="Texts", type="sms")
    new_campaign(session, stranger, name="Theirs")

    assert campaign_audience.campaigns_accepting_contacts(session, owner) == [
        CampaignChoice(id=paused, name="Paused", status=CampaignStatus.PAUSED),
        CampaignChoice(id=running, name="Running", status=CampaignStatus.RUNNING),
        CampaignChoice(id=draft, name="Draft", status=CampaignStatus.DRAFT),
    ]


# --- through the API ----------------------------------------------------------------------------------


def test_the_api_adds_contacts_and_answers_counts(client: TestClient, session: Session) -> None:
    owner = make_member(session)
    headers = auth_headers(owner)
    agent = auth_headers(make_member(session, role=Role.AGENT, organization_id=owner.organization_id))
    stranger = auth_headers(make_member(session, org_name="Elsewhere"))
    a, b = make_contacts(session, owner.organization_id, 2)
    campaign_id = new_campaign(session, owner)
    url = f"/api/campaigns/{campaign_id}/contacts"

    response = client.post(url, json={"contact_ids": [str(a.id), str(b.id)]}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"added": 2, "already_in": 0, "not_found": 0}
    again = client.post(url, json={"contact_ids": [str(b.id)]}, headers=headers)
    assert again.json() == {"added": 0, "already_in": 1, "not_found": 0}
    detail = client.get(f"/api/campaigns/{campaign_id}", headers=headers).json()
    assert detail["audience"] == {"contact_ids": [str(a.id), str(b.id)]}

    assert client.post(url, json={"contact_ids": [str(a.id)]}, headers=stranger).status_code == 404
    assert client.post(url, json={"contact_ids": [str(a.id)]}, headers=agent).status_code == 403
    assert client.post(url, json={"contact_ids": []}, headers=headers).status_code == 422
    too_many = [str(uuid.uuid4()) for _ in range(campaign_audience.MAX_CONTACTS_ADDED + 1)]
    assert client.post(url, json={"contact_ids": too_many}, headers=headers).status_code == 422

    by_tags = new_campaign(session, owner, audience={"tags": ["donor"]})
    refused = client.post(
        f"/api/campaigns/{by_tags}/contacts", json={"contact_ids": [str(a.id)]}, headers=headers
    )
    assert refused.status_code == 409 and "chosen by tags" in refused.json()["detail"]
