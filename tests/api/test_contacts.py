"""Contacts through the API: CRUD with validation, search and paging, bulk tags, export, import, isolation."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from reachimpact import jobs
from reachimpact.models import Call, Contact, OptOut, Role
from tests.factories import auth_headers, make_member


def add(client: TestClient, headers: dict, **fields) -> dict:
    response = client.post("/api/contacts", json=fields, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_read_update_delete(client: TestClient, session: Session) -> None:
    owner = auth_headers(make_member(session))
    created = add(
        client,
        owner,
        first_name="Ann",
        last_name="Lee",
        phone="(212) 555-0143",
        email="Ann@Example.org",
        tags=["Volunteer", "volunteer", " donor "],
        custom_fields={"ward": "3"},
    )
    assert created["phone"] == "+12125550143"
    assert created["email"] == "ann@example.org"
    assert created["tags"] == ["volunteer", "donor"]
    assert created["time_zone"] == "America/New_York"

    patched = client.patch(
        f"/api/contacts/{created['id']}", json={"phone": "+44 20 7946 0958"}, headers=owner
    )
    assert patched.status_code == 200
    assert patched.json()["phone"] == "+442079460958" and patched.json()["time_zone"] == "Europe/London"
    assert client.get(f"/api/contacts/{created['id']}", headers=owner).json()["first_name"] == "Ann"
    assert client.delete(f"/api/contacts/{created['id']}", headers=owner).status_code == 204
    assert client.get(f"/api/contacts/{created['id']}", headers=owner).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"first_name": "A"}, 422, "phone"),
        ({"phone": "12"}, 422, "too short"),
        ({"phone": "2125550143", "email": "nope"}, 422, "Email"),
        ({"phone": "2125550143", "custom_fields": {"a": {"nested": 1}}}, 422, "Custom field"),
    ],
)
def test_bad_contacts_are_refused_clearly(
    client: TestClient, session: Session, body: dict, status: int, fragment: str
) -> None:
    owner = auth_headers(make_member(session))
    response = client.post("/api/contacts", json=body, headers=owner)
    assert response.status_code == status
    assert fragment in str(response.json()["detail"])
    assert session.exec(select(Contact)).all() == []


def test_same_number_twice_is_a_conflict(client: TestClient, session: Session) -> None:
    owner = auth_headers(make_member(session))
    add(client, owner, phone="212-555-0143")
    assert client.post("/api/contacts", json={"phone": "(212) 555 0143"}, headers=owner).status_code == 409


def test_search_sort_and_keyset_paging(client: TestClient, session: Session) -> None:
    member = make_member(session)
    other = make_member(session, org_name="Other")
    base = datetime(2026, 1, 1, tzinfo=UTC)
    names = [("Ann", "Lee"), ("Bob", "Smith"), ("Cara", "Smithers"), ("Dan", "Ng"), ("Eve", "Adams")]
    for i, (first, last) in enumerate(names):
        session.add(
            Contact(
                organization_id=member.organization_id,
                first_name=first,
                last_name=last,
                phone=f"+1212555{i:04d}",
                email=f"{first.lower()}@example.org",
                tags=["donor"] if i % 2 else [],
                created_at=base + timedelta(minutes=i),
            )
        )
    session.add(Contact(organization_id=other.organization_id, first_name="Smith", phone="+12125550001"))
    session.commit()
    headers = auth_headers(member)

    def names_of(**params) -> tuple[list[str], dict]:
        body = client.get("/api/contacts", params=params, headers=headers).json()
        return [c["first_name"] for c in body["items"]], body

    assert names_of()[0] == ["Eve", "Dan", "Cara", "Bob", "Ann"]  # newest first
    assert names_of(sort="name")[0] == ["Eve", "Ann", "Dan", "Bob", "Cara"]
    assert names_of(q="smith")[0] == ["Cara", "Bob"]  # prefix of last name, never another org's "Smith"
    assert names_of(q="cara smi")[0] == ["Cara"]
    assert names_of(q="eve@exa")[0] == ["Eve"]
    assert names_of(q="(212) 555-0003")[0] == ["Dan"]  # a number in any spelling
    assert names_of(q="0003")[0] == ["Dan"]  # or its last digits
    assert names_of(q="003")[0] == ["Dan"]  # three are enough
    assert names_of(q="555-0003")[0] == ["Dan"]  # more than four: the rest are checked row by row
    assert names_of(q="9990003")[0] == []
    tagged, body = names_of(tag="donor")
    assert tagged == ["Dan", "Bob"] and body["total"] == 2

    seen, cursor = [], None
    while True:
        params = {"page_size": 2, "sort": "name", **({"cursor": cursor} if cursor else {})}
        page, body = names_of(**params)
        assert body["total"] == 5
        seen += page
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == ["Eve", "Ann", "Dan", "Bob", "Cara"]
    assert names_of(page=2, page_size=2)[0] == ["Cara", "Bob"]
    assert client.get("/api/contacts", params={"page_size": 201}, headers=headers).status_code == 422
    assert client.get("/api/contacts", params={"cursor": "garbage"}, headers=headers).status_code == 422


def test_bulk_tags_and_delete_touch_only_own_contacts(client: TestClient, session: Session) -> None:
    owner = make_member(session)
    agent = make_member(session, role=Role.AGENT, organization_id=owner.organization_id)
    stranger = make_member(session, org_name="Other")
    mine = [add(client, auth_headers(owner), phone=f"212555010{i}")["id"] for i in range(3)]
    theirs = add(client, auth_headers(stranger), phone="2125550100")["id"]
    ids = [*mine, theirs]

    added = client.post(
        "/api/contacts/bulk",
        json={"action": "add_tag", "ids": ids, "tag": "Gala"},
        headers=auth_headers(agent),
    )
    assert added.json() == {"affected": 3}
    again = client.post(
        "/api/contacts/bulk",
        json={"action": "add_tag", "ids": ids, "tag": "gala"},
        headers=auth_headers(agent),
    )
    assert again.json() == {"affected": 0}
    assert client.get(f"/api/contacts/{theirs}", headers=auth_headers(stranger)).json()["tags"] == []
    forbidden = client.post(
        "/api/contacts/bulk", json={"action": "delete", "ids": ids}, headers=auth_headers(agent)
    )
    assert forbidden.status_code == 403
    deleted = client.post(
        "/api/contacts/bulk", json={"action": "delete", "ids": ids}, headers=auth_headers(owner)
    )
    assert deleted.json() == {"affected": 3}
    assert client.get(f"/api/contacts/{theirs}", headers=auth_headers(stranger)).status_code == 200


def test_export_is_for_owners_and_admins_and_follows_the_filter(client: TestClient, session: Session) -> None:
    owner = make_member(session)
    agent = make_member(session, role=Role.AGENT, organization_id=owner.organization_id)
    add(
        client,
        auth_headers(owner),
        first_name="Ann",
        phone="2125550100",
        tags=["donor"],
        custom_fields={"ward": "3"},
    )
    add(client, auth_headers(owner), first_name="Bob", phone="2125550101")
    assert client.get("/api/contacts/export", headers=auth_headers(agent)).status_code == 403
    response = client.get("/api/contacts/export", params={"tag": "donor"}, headers=auth_headers(owner))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["first_name"], r["phone"], r["ward"]) for r in rows] == [("Ann", "+12125550100", "3")]


def test_timeline_and_do_not_contact(client: TestClient, session: Session) -> None:
    member = make_member(session)
    headers = auth_headers(member)
    contact = add(client, headers, first_name="Ann", phone="2125550100")
    session.add(
        Call(
            organization_id=member.organization_id,
            contact_id=uuid.UUID(contact["id"]),
            status="completed",
            summary="Will volunteer",
        )
    )
    session.commit()
    check = client.get(
        "/api/do-not-contact/check", params={"phone": "(212) 555-0100"}, headers=headers
    ).json()
    assert check == {"phone": "+12125550100", "allowed": True, "reason": None}

    entry = client.post(
        "/api/do-not-contact", json={"phone": "212.555.0100", "reason": "asked by phone"}, headers=headers
    )
    assert entry.status_code == 201
    assert (
        client.post("/api/do-not-contact", json={"phone": "2125550100"}, headers=headers).json()["id"]
        == entry.json()["id"]
    )
    check = client.get(
        "/api/do-not-contact/check", params={"phone": "2125550100", "channel": "sms"}, headers=headers
    ).json()
    assert check["allowed"] is False
    listed = client.get("/api/contacts", headers=headers).json()["items"]
    assert listed[0]["do_not_contact"] is True  # visibly marked in the table
    timeline = client.get(f"/api/contacts/{contact['id']}/timeline", headers=headers).json()
    assert [e["kind"] for e in timeline] == ["opt_out", "call"]
    assert client.delete(f"/api/do-not-contact/{entry.json()['id']}", headers=headers).status_code == 204
    assert client.get("/api/do-not-contact/check", params={"phone": "2125550100"}, headers=headers).json()[
        "allowed"
    ]


def run_worker() -> None:
    async def go() -> None:
        async with jobs.app.open_async():
            await jobs.app.run_worker_async(wait=False, install_signal_handlers=False, listen_notify=False)

    asyncio.run(go())


def test_import_through_the_api_with_progress_result_and_error_csv(
    client: TestClient, session: Session
) -> None:
    member = make_member(session)
    headers = auth_headers(member)
    text = "Phone Number,First Name,E-mail\n(212) 555-0100,Ann,ann@example.org\n12,Bad,\n2125550100,Dup,\n"

    def upload(**form):
        async def go():
            async with jobs.app.open_async():
                return client.post(
                    "/api/contacts/import",
                    files={"file": ("c.csv", text.encode())},
                    data=form,
                    headers=headers,
                )

        return asyncio.run(go())

    started = upload(on_duplicate="update")
    assert started.status_code == 202
    job_id = started.json()["job_id"]
    queued = client.get(f"/api/jobs/{job_id}", headers=headers).json()
    assert queued["status"] == "queued"

    run_worker()
    done = client.get(f"/api/jobs/{job_id}", headers=headers).json()
    assert done["status"] == "succeeded" and done["progress"] == 1.0
    result = done["result"]
    assert (result["imported"], result["updated"], result["skipped"], result["rejected"]) == (1, 0, 1, 1)
    errors = client.get(result["error_csv"], headers=headers)
    assert errors.status_code == 200
    assert list(csv.reader(io.StringIO(errors.text)))[1][:2] == ["3", "Phone '12' is too short."]
    stranger = auth_headers(make_member(session, org_name="Other"))
    assert client.get(result["error_csv"], headers=stranger).status_code == 404


def test_import_without_phone_column_fails_at_once(client: TestClient, session: Session) -> None:
    headers = auth_headers(make_member(session))
    response = client.post(
        "/api/contacts/import", files={"file": ("c.csv", b"Name,Email\nAnn,a@example.org\n")}, headers=headers
    )
    assert response.status_code == 422
    assert "'Name', 'Email'" in response.json()["detail"]
    bad_policy = client.post(
        "/api/contacts/import",
        files={"file": ("c.csv", b"phone\n2125550100\n")},
        data={"on_duplicate": "merge"},
        headers=headers,
    )
    assert bad_policy.status_code == 422


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/contacts/{contact}", None),
        ("PATCH", "/api/contacts/{contact}", {"first_name": "Hacked"}),
        ("DELETE", "/api/contacts/{contact}", None),
        ("GET", "/api/contacts/{contact}/timeline", None),
        ("DELETE", "/api/do-not-contact/{entry}", None),
    ],
)
def test_another_organizations_contacts_are_not_found(
    client: TestClient, session: Session, method: str, path: str, body: dict | None
) -> None:
    victim = make_member(session, org_name="Victim")
    attacker = make_member(session, org_name="Attacker")
    contact = Contact(organization_id=victim.organization_id, first_name="Vic", phone="+12125550100")
    entry = OptOut(organization_id=victim.organization_id, phone="+12125550199")
    session.add_all([contact, entry])
    session.commit()
    response = client.request(
        method, path.format(contact=contact.id, entry=entry.id), json=body, headers=auth_headers(attacker)
    )
    assert response.status_code == 404
    session.expire_all()
    assert session.get(Contact, contact.id).first_name == "Vic"
    assert session.get(OptOut, entry.id) is not None
    assert client.get("/api/contacts", headers=auth_headers(attacker)).json()["total"] == 0


def test_do_not_contact_csv_import(client: TestClient, session: Session) -> None:
    member = make_member(session)
    headers = auth_headers(member)
    client.post("/api/do-not-contact", json={"phone": "2125550100"}, headers=headers)
    text = b"Phone Number,Note\n(212) 555-0100,again\n415 555 0100,new\nnope,bad\n\n415.555.0100,repeat\n"
    response = client.post("/api/do-not-contact/import", files={"file": ("dnc.csv", text)}, headers=headers)
    assert response.status_code == 200
    assert response.json() == {
        "added": 1,
        "already_listed": 1,
        "rejected": [[4, "Phone 'nope' is not a phone number."]],
    }
    assert len(client.get("/api/do-not-contact", headers=headers).json()) == 2


def test_broad_filters_count_up_to_a_cap(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reachimpact.services import contacts as contacts_service

    monkeypatch.setattr(contacts_service, "FILTERED_COUNT_CAP", 3)
    member = make_member(session)
    for i in range(5):
        session.add(
            Contact(organization_id=member.organization_id, first_name=f"Sam{i}", phone=f"+1212555{i:04d}")
        )
    session.commit()
    headers = auth_headers(member)
    broad = client.get("/api/contacts", params={"q": "sam"}, headers=headers).json()
    assert (broad["total"], broad["total_capped"], len(broad["items"])) == (3, True, 5)
    narrow = client.get("/api/contacts", params={"q": "sam2"}, headers=headers).json()
    assert (narrow["total"], narrow["total_capped"]) == (1, False)
    everything = client.get("/api/contacts", headers=headers).json()
    assert (everything["total"], everything["total_capped"]) == (5, False)
