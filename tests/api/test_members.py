"""Members and invitations, roles, and isolation: another organization's ids are simply not found."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from reachimpact.models import Invite, Job, Membership, Role, UserSession
from tests.factories import auth_headers, make_member

PASSWORD = "correct horse battery"


def test_invite_then_register_joins_the_organization_with_that_role(
    client: TestClient, session: Session
) -> None:
    owner = make_member(session)
    created = client.post(
        "/api/members/invites",
        json={"email": "Zoe@Example.org", "role": "agent"},
        headers=auth_headers(owner),
    )
    assert created.status_code == 201
    body = created.json()
    assert body["invite_url"].endswith(f"/register?invite={body['invite_token']}")
    assert [i["email"] for i in client.get("/api/members/invites", headers=auth_headers(owner)).json()] == [
        "zoe@example.org"
    ]

    wrong_person = client.post(
        "/api/auth/register",
        json={
            "email": "mallory@example.org",
            "password": PASSWORD,
            "name": "M",
            "invite_token": body["invite_token"],
        },
    )
    assert wrong_person.status_code == 422
    joined = client.post(
        "/api/auth/register",
        json={
            "email": "zoe@example.org",
            "password": PASSWORD,
            "name": "Zoe",
            "invite_token": body["invite_token"],
        },
    )
    assert joined.status_code == 201
    me = client.get("/api/me", headers={"Authorization": f"Bearer {joined.json()['access_token']}"}).json()
    assert me["organization_id"] == str(owner.organization_id)
    assert me["role"] == "agent"
    roles = {m["email"]: m["role"] for m in client.get("/api/members", headers=auth_headers(owner)).json()}
    assert roles["zoe@example.org"] == "agent"
    # An invitation works once.
    again = client.post(
        "/api/auth/register",
        json={
            "email": "zoe2@example.org",
            "password": PASSWORD,
            "name": "Z",
            "invite_token": body["invite_token"],
        },
    )
    assert again.status_code == 422


def test_agents_cannot_manage_members(client: TestClient, session: Session) -> None:
    owner = make_member(session)
    agent = make_member(session, role=Role.AGENT, organization_id=owner.organization_id)
    response = client.post(
        "/api/members/invites", json={"email": "x@example.org"}, headers=auth_headers(agent)
    )
    assert response.status_code == 403
    owner_membership = session.exec(select(Membership).where(Membership.user_id == owner.user_id)).one()
    demote = client.patch(
        f"/api/members/{owner_membership.id}", json={"role": "agent"}, headers=auth_headers(agent)
    )
    assert demote.status_code == 403
    assert session.exec(select(Invite)).all() == []


def test_roles_change_and_the_last_owner_stays(client: TestClient, session: Session) -> None:
    owner = make_member(session)
    admin = make_member(session, role=Role.ADMIN, organization_id=owner.organization_id)
    agent = make_member(session, role=Role.AGENT, organization_id=owner.organization_id)
    membership = {
        p.user_id: session.exec(select(Membership).where(Membership.user_id == p.user_id)).one().id
        for p in (owner, admin, agent)
    }
    promoted = client.patch(
        f"/api/members/{membership[agent.user_id]}", json={"role": "admin"}, headers=auth_headers(admin)
    )
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    # An admin cannot make owners or touch them.
    assert (
        client.patch(
            f"/api/members/{membership[agent.user_id]}", json={"role": "owner"}, headers=auth_headers(admin)
        ).status_code
        == 403
    )
    last_owner = client.patch(
        f"/api/members/{membership[owner.user_id]}", json={"role": "admin"}, headers=auth_headers(owner)
    )
    assert last_owner.status_code == 422
    assert "at least one owner" in last_owner.json()["detail"]
    # The new role applies at once, even to a token issued before the change.
    removed = client.delete(f"/api/members/{membership[agent.user_id]}", headers=auth_headers(owner))
    assert removed.status_code == 204
    assert client.get("/api/me", headers=auth_headers(agent)).status_code == 401


def _other_orgs_ids(session: Session, victim_org: uuid.UUID, victim_user: uuid.UUID) -> dict[str, uuid.UUID]:
    invite = Invite(
        organization_id=victim_org,
        email="v@example.org",
        token_hash=uuid.uuid4().hex,
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    job = Job(organization_id=victim_org, kind="import")
    session.add_all([invite, job])
    session.commit()
    return {
        "membership": session.exec(select(Membership).where(Membership.user_id == victim_user)).one().id,
        "session": session.exec(select(UserSession).where(UserSession.user_id == victim_user)).one().id,
        "invite": invite.id,
        "job": job.id,
    }


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/api/members/{membership}", {"role": "agent"}),
        ("DELETE", "/api/members/{membership}", None),
        ("DELETE", "/api/members/invites/{invite}", None),
        ("DELETE", "/api/me/sessions/{session}", None),
        ("GET", "/api/jobs/{job}", None),
    ],
)
def test_another_organizations_ids_are_not_found_and_nothing_changes(
    client: TestClient, session: Session, method: str, path: str, body: dict | None
) -> None:
    victim = make_member(session, org_name="Victim Org")
    attacker = make_member(session, org_name="Attacker Org")
    ids = _other_orgs_ids(session, victim.organization_id, victim.user_id)
    url = path.format(**ids)

    foreign = client.request(method, url, json=body, headers=auth_headers(attacker))
    missing = client.request(
        method, path.format(**{k: uuid.uuid4() for k in ids}), json=body, headers=auth_headers(attacker)
    )
    assert foreign.status_code == 404
    # Told apart by nothing but the request id every answer carries.
    assert {**foreign.json(), "request_id": ""} == {**missing.json(), "request_id": ""}
    assert foreign.json()["detail"] == "Not found."

    session.expire_all()
    assert session.get(Membership, ids["membership"]).role == Role.OWNER
    assert session.get(Invite, ids["invite"]) is not None
    assert session.get(UserSession, ids["session"]).revoked_at is None
    member_emails = {m["email"] for m in client.get("/api/members", headers=auth_headers(attacker)).json()}
    assert len(member_emails) == 1  # only the attacker: lists never show another organization's rows
