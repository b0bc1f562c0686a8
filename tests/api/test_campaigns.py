"""Campaigns through the API: CRUD, the frozen audience, the state machine and its history, roles."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from reachimpact.models import CampaignContact, CampaignStatusChange, OptOut, Role
from tests.factories import auth_headers, make_contacts, make_member


def create(client: TestClient, headers: dict, **fields) -> dict:
    response = client.post("/api/campaigns", json={"name": "Get out the vote", **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_read_update_and_delete_a_draft(client: TestClient, session: Session) -> None:
    owner = auth_headers(make_member(session))
    created = create(
        client,
        owner,
        script="Hi {first_name}, polls open at **7am**.",
        audience={"tags": ["Volunteer"]},
        caller_id="(202) 555-0199",
        window_start="10:00",
        window_end="19:30",
        calls_per_minute=30,
        max_concurrent=3,
        retry_policy={"busy": {"delay_minutes": 5, "max_attempts": 4}},
        amd_enabled=True,
        machine_action="leave_message",
        record_calls=True,
    )
    assert created["status"] == "draft"
    assert created["caller_id"] == "+12025550199"
    assert created["audience"] == {"tags": ["volunteer"]}
    assert created["window_start"] == "10:00:00"
    # A rule given replaces that outcome's default; the others keep theirs.
    assert created["retry_policy"]["busy"] == {"delay_minutes": 5, "max_attempts": 4}
    assert created["retry_policy"]["no-answer"] == {"delay_minutes": 120, "max_attempts": 3}

    cleared = client.patch(
        f"/api/campaigns/{created['id']}", json={"caller_id": None, "starts_at": None}, headers=owner
    )
    assert cleared.status_code == 200 and cleared.json()["caller_id"] is None
    assert (
        client.patch(
            f"/api/campaigns/{created['id']}", json={"max_concurrent": None}, headers=owner
        ).status_code
        == 422
    )
    changed = client.patch(
        f"/api/campaigns/{created['id']}", json={"name": "GOTV", "calls_per_minute": 12}, headers=owner
    )
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["calls_per_minute"]) == ("GOTV", 12)

    detail = client.get(f"/api/campaigns/{created['id']}", headers=owner).json()
    assert detail["progress"]["total"] == 0 and detail["history"] == []
    listed = client.get("/api/campaigns", headers=owner).json()
    assert listed["total"] == 1 and listed["items"][0]["name"] == "GOTV"

    assert client.delete(f"/api/campaigns/{created['id']}", headers=owner).status_code == 204
    assert client.get(f"/api/campaigns/{created['id']}", headers=owner).status_code == 404


def test_bad_input_is_refused_with_a_reason(client: TestClient, session: Session) -> None:
    owner = auth_headers(make_member(session))
    same = client.post(
        "/api/campaigns", json={"name": "x", "window_start": "09:00", "window_end": "09:00"}, headers=owner
    )
    assert same.status_code == 422 and "window" in same.json()["detail"]
    naive = client.post(
        "/api/campaigns", json={"name": "x", "starts_at": "2026-03-01T09:00:00"}, headers=owner
    )
    assert naive.status_code == 422
    pace = client.post("/api/campaigns", json={"name": "x", "calls_per_minute": 0}, headers=owner)
    assert pace.status_code == 422
    phone = client.post("/api/campaigns", json={"name": "x", "caller_id": "12"}, headers=owner)
    assert phone.status_code == 422


def test_the_state_machine_and_its_history(client: TestClient, session: Session) -> None:
    member = make_member(session)
    owner = auth_headers(member)
    make_contacts(session, member.organization_id, 3)
    campaign = create(client, owner)
    url = f"/api/campaigns/{campaign['id']}"

    # Only the moves the state machine allows; each answer says why not.
    refused = client.post(f"{url}/pause", headers=owner)
    assert refused.status_code == 409 and "draft campaign cannot be paused" in refused.json()["detail"]
    assert client.post(f"{url}/resume", headers=owner).status_code == 409

    steps = ["start", "pause", "resume", "pause", "stop"]
    for step in steps:
        response = client.post(f"{url}/{step}", headers=owner)
        assert response.status_code == 200, (step, response.text)
    assert response.json()["status"] == "stopped"
    assert response.json()["completed_at"] is not None
    for step in ["start", "pause", "resume", "stop"]:
        assert client.post(f"{url}/{step}", headers=owner).status_code == 409

    history = client.get(url, headers=owner).json()["history"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        ("draft", "running"),
        ("running", "paused"),
        ("paused", "running"),
        ("running", "paused"),
        ("paused", "stopped"),
    ]
    assert {h["actor_id"] for h in history} == {str(member.user_id)}
    rows = session.exec(
        select(CampaignStatusChange).where(CampaignStatusChange.campaign_id == uuid.UUID(campaign["id"]))
    )
    assert len(rows.all()) == 5


def test_start_freezes_the_audience_with_do_not_contact_numbers_skipped(
    client: TestClient, session: Session
) -> None:
    member = make_member(session)
    owner = auth_headers(member)
    volunteers = make_contacts(session, member.organization_id, 4, tags=["volunteer"])
    make_contacts(session, member.organization_id, 2, tags=["donor"], first=100)
    volunteers[0].opt_out_calls = True
    session.add(OptOut(organization_id=member.organization_id, phone=volunteers[1].phone, channel="all"))
    session.add(OptOut(organization_id=member.organization_id, phone=volunteers[2].phone, channel="sms"))
    session.commit()
    campaign = create(client, owner, audience={"tags": ["volunteer"]})
    assert client.post(f"/api/campaigns/{campaign['id']}/start", headers=owner).status_code == 200

    frozen = {
        row.contact_id: (row.status, row.last_outcome)
        for row in session.exec(
            select(CampaignContact).where(CampaignContact.campaign_id == uuid.UUID(campaign["id"]))
        )
    }
    assert frozen == {
        volunteers[0].id: ("skipped", "do_not_contact"),
        volunteers[1].id: ("skipped", "do_not_contact"),
        volunteers[2].id: ("pending", None),  # opted out of texts only
        volunteers[3].id: ("pending", None),
    }
    # Contacts added later are not in a started campaign; its audience can no longer change.
    make_contacts(session, member.organization_id, 1, tags=["volunteer"], first=200)
    later = client.patch(
        f"/api/campaigns/{campaign['id']}", json={"audience": {"tags": ["donor"]}}, headers=owner
    )
    assert later.status_code == 409 and "audience" in later.json()["detail"]
    assert (
        client.patch(
            f"/api/campaigns/{campaign['id']}", json={"calls_per_minute": 5}, headers=owner
        ).status_code
        == 200
    )
    progress = client.get(f"/api/campaigns/{campaign['id']}/progress", headers=owner).json()
    assert (progress["total"], progress["pending"], progress["skipped"], progress["remaining"]) == (
        4,
        2,
        2,
        2,
    )
    assert client.delete(f"/api/campaigns/{campaign['id']}", headers=owner).status_code == 409


def test_explicit_contact_list_and_search_audiences(client: TestClient, session: Session) -> None:
    member = make_member(session)
    owner = auth_headers(member)
    people = make_contacts(session, member.organization_id, 5)
    chosen = create(client, owner, audience={"contact_ids": [str(people[1].id), str(people[3].id)]})
    client.post(f"/api/campaigns/{chosen['id']}/start", headers=owner)
    rows = session.exec(
        select(CampaignContact.contact_id).where(CampaignContact.campaign_id == uuid.UUID(chosen["id"]))
    )
    assert set(rows.all()) == {people[1].id, people[3].id}

    nobody = create(client, owner, audience={"tags": ["nobody-has-this"]})
    empty = client.post(f"/api/campaigns/{nobody['id']}/start", headers=owner)
    assert empty.status_code == 422 and "no contacts" in empty.json()["detail"]
    assert client.get(f"/api/campaigns/{nobody['id']}", headers=owner).json()["status"] == "draft"


def test_agents_read_but_do_not_run_campaigns_and_other_organizations_see_nothing(
    client: TestClient, session: Session
) -> None:
    owner = make_member(session)
    agent = auth_headers(make_member(session, role=Role.AGENT, organization_id=owner.organization_id))
    stranger = auth_headers(make_member(session, org_name="Elsewhere"))
    make_contacts(session, owner.organization_id, 1)
    campaign = create(client, auth_headers(owner))
    url = f"/api/campaigns/{campaign['id']}"

    assert client.get(url, headers=agent).status_code == 200
    for attempt in (
        client.post(f"{url}/start", headers=agent),
        client.patch(url, json={"name": "mine"}, headers=agent),
        client.post("/api/campaigns", json={"name": "mine"}, headers=agent),
    ):
        assert attempt.status_code == 403
    assert client.get(url, headers=stranger).status_code == 404
    assert client.post(f"{url}/start", headers=stranger).status_code == 404
    assert client.get("/api/campaigns", headers=stranger).json()["total"] == 0
    statuses = session.exec(
        select(CampaignStatusChange.id).where(
            col(CampaignStatusChange.campaign_id) == uuid.UUID(campaign["id"])
        )
    )
    assert statuses.all() == []
