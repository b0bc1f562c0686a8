"""The edges of the HTTP surface: one error shape everywhere (and in the OpenAPI document), body caps."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from reachimpact.api.input_limits import JSON_BODY_BYTES, WEBHOOK_BODY_BYTES
from tests.factories import auth_headers, make_member


def _is_error_body(body: dict, *, validation: bool = False) -> bool:
    return (
        isinstance(body.get("detail"), str)
        and bool(body["detail"])
        and isinstance(body.get("request_id"), str)
        and len(body["request_id"]) >= 8
        and (("errors" in body) == validation)
    )


def test_every_kind_of_error_has_one_shape(client: TestClient, session: Session) -> None:
    headers = auth_headers(make_member(session))

    invalid = client.post("/api/contacts", json={"first_name": "A"}, headers=headers)
    assert invalid.status_code == 422
    body = invalid.json()
    assert _is_error_body(body, validation=True), body
    assert body["request_id"] == invalid.headers["x-request-id"]
    assert "phone" in body["detail"]
    assert [error["loc"] for error in body["errors"]] == [["body", "phone"]]
    assert all(set(error) == {"loc", "msg", "type"} for error in body["errors"])

    domain = client.post("/api/contacts", json={"phone": "12"}, headers=headers)  # the service refuses
    assert domain.status_code == 422 and _is_error_body(domain.json()), domain.json()
    assert "too short" in domain.json()["detail"]

    for response in (
        client.get("/api/contacts"),  # no token
        client.get("/api/contacts/00000000-0000-0000-0000-000000000000", headers=headers),
        client.get("/api/no-such-route"),
        client.delete("/api/health"),
    ):
        assert response.status_code in {401, 404, 405}
        assert _is_error_body(response.json()), (response.status_code, response.json())


def test_the_openapi_document_declares_the_error_shape_on_every_route(client: TestClient) -> None:
    document = client.get("/api/openapi.json").json()
    assert set(document["components"]["schemas"]["ErrorBody"]["properties"]) == {
        "detail",
        "request_id",
        "errors",
    }
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status in ("404", "422", "500"):
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)


def test_bodies_past_their_cap_are_refused_before_they_are_read(client: TestClient, session: Session) -> None:
    headers = auth_headers(make_member(session))
    too_big = b"x" * (WEBHOOK_BODY_BYTES + 1)
    webhook = client.post(
        "/webhooks/twilio/voice/status",
        content=too_big,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert webhook.status_code == 413
    assert _is_error_body(webhook.json()) and "64 KB" in webhook.json()["detail"]

    huge_json = b'{"phone": "' + b"1" * JSON_BODY_BYTES + b'"}'
    response = client.post(
        "/api/contacts", content=huge_json, headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413 and "1 MB" in response.json()["detail"]

    # Streamed without a Content-Length: counted as it arrives.
    def pieces() -> Iterator[bytes]:
        yield b'{"phone": "'
        for _ in range(JSON_BODY_BYTES // 65536 + 1):
            yield b"1" * 65536
        yield b'"}'

    streamed = client.post(
        "/api/contacts", content=pieces(), headers={**headers, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413, streamed.text
    assert _is_error_body(streamed.json())

    # Under the cap, the same route works as before.
    fine = client.post("/api/contacts", json={"phone": "+14155550123"}, headers=headers)
    assert fine.status_code == 201


@pytest.mark.parametrize(
    ("method", "path", "body", "params", "field"),
    [
        ("POST", "/api/auth/login", {"email": "a\u0000@example.org", "password": "x" * 10}, None, "email"),
        (
            "POST",
            "/api/auth/register",
            {"email": "n@example.org", "password": "x" * 10, "name": "A\u0000"},
            None,
            "name",
        ),
        ("POST", "/api/contacts", {"phone": "+14155550123", "first_name": "Ann\u0000"}, None, "first_name"),
        ("POST", "/api/contacts", {"phone": "+14155550123", "tags": ["ok", "b\u0000d"]}, None, "tags.1"),
        (
            "POST",
            "/api/contacts",
            {"phone": "+14155550123", "custom_fields": {"k\u0000": "v"}},
            None,
            "custom_fields.k\u0000",
        ),
        ("POST", "/api/contacts", {"phone": "+14155550123", "notes": "\u0000"}, None, "notes"),
        ("GET", "/api/contacts", None, {"q": "a\u0000b"}, "q"),
        ("GET", "/api/contacts", None, {"tag": "\u0000"}, "tag"),
        ("PATCH", "/api/me", {"name": "Me\u0000"}, None, "name"),
        ("POST", "/api/campaigns", {"name": "C\u0000", "type": "call"}, None, "name"),
        ("POST", "/api/do-not-contact", {"phone": "+14155550123", "reason": "r\u0000"}, None, "reason"),
        ("POST", "/api/contacts/bulk", {"ids": [], "tag": "t\u0000", "action": "add_tag"}, None, "tag"),
    ],
)
def test_a_nul_character_is_refused_naming_its_field(
    client: TestClient,
    session: Session,
    method: str,
    path: str,
    body: dict | None,
    params: dict | None,
    field: str,
) -> None:
    headers = auth_headers(make_member(session))
    response = client.request(method, path, json=body, params=params, headers=headers)
    assert response.status_code == 422, response.text
    assert _is_error_body(response.json(), validation=True)
    assert field in response.json()["detail"]
    assert [".".join(map(str, error["loc"][1:])) for error in response.json()["errors"]] == [field]
    # Nothing was written.
    assert client.get("/api/contacts", headers=headers).json()["items"] == []


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/campaigns", {"offset": "9223372036854775808"}),
        ("/api/contacts", {"page": "9223372036854775807"}),
        ("/api/contacts", {"page": "1000001"}),
    ],
)
def test_integers_past_their_bounds_are_refused(
    client: TestClient, session: Session, path: str, params: dict
) -> None:
    response = client.get(path, params=params, headers=auth_headers(make_member(session)))
    assert response.status_code == 422, response.text
    assert _is_error_body(response.json(), validation=True)
    assert list(params)[0] in response.json()["detail"]


def test_patching_a_contact_to_another_contacts_phone_is_a_conflict(
    client: TestClient, session: Session
) -> None:
    headers = auth_headers(make_member(session))
    first = client.post("/api/contacts", json={"phone": "+14155550101"}, headers=headers).json()
    second = client.post(
        "/api/contacts", json={"phone": "+14155550102", "first_name": "Bo"}, headers=headers
    ).json()
    response = client.patch(f"/api/contacts/{second['id']}", json={"phone": first["phone"]}, headers=headers)
    assert response.status_code == 409, response.text
    assert "+14155550101" in response.json()["detail"]
    kept = client.get(f"/api/contacts/{second['id']}", headers=headers).json()
    assert (kept["phone"], kept["first_name"]) == ("+14155550102", "Bo")


def test_calling_windows_accept_what_the_document_says(client: TestClient, session: Session) -> None:
    headers = auth_headers(make_member(session))
    document = client.get("/api/openapi.json").json()
    declared = document["components"]["schemas"]["CampaignIn"]["properties"]["window_start"]["anyOf"][0]
    assert declared["type"] == "string" and "format" not in declared
    pattern = re.compile(declared["pattern"])
    for accepted in ("09:00", "20:30:00", "23:59:59.5"):
        assert pattern.match(accepted)
        body = {"name": f"Window {accepted}", "window_start": accepted, "window_end": "23:59"}
        assert client.post("/api/campaigns", json=body, headers=headers).status_code == 201, accepted
    for refused in ("09:00:00Z", "09:00+02:00", "25:00", "9am"):
        assert not pattern.match(refused)
        response = client.post("/api/campaigns", json={"name": "W", "window_start": refused}, headers=headers)
        assert response.status_code == 422, refused
        assert "window_start" in response.json()["detail"]


def test_a_wrong_method_names_every_method_of_its_path(client: TestClient, session: Session) -> None:
    headers = auth_headers(make_member(session))
    me = client.request("OPTIONS", "/api/me", headers=headers)
    assert me.status_code == 405 and me.headers["allow"] == "GET, PATCH"
    # A literal path is not an id: /api/members/invites is not /api/members/{membership_id}.
    invites = client.patch("/api/members/invites", json={"role": "agent"}, headers=headers)
    assert invites.status_code == 405 and invites.headers["allow"] == "GET, POST"
    assert _is_error_body(invites.json())
    assert client.get("/api/contacts/not-a-uuid", headers=headers).status_code == 404
